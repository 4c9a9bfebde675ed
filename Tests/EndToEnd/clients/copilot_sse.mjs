// Node's own https module against the Copilot endpoint, SSE, as an editor extension would:
// no proxy, no base URL; the org CA comes from NODE_EXTRA_CA_CERTS.
// Usage: node copilot_sse.mjs [JSON options] -> prints one JSON object.
import https from 'node:https';

const opts = JSON.parse(process.argv[2] || '{}');
const host = opts.host || 'api.githubcopilot.com';
const body = JSON.stringify(opts.body || {
  model: 'gpt-4o',
  stream: true,
  messages: [{ role: 'user', content: opts.prompt || 'Hello from node' }],
});
const headers = {
  'Authorization': 'Bearer ghu_e2eTestToken',
  'Content-Type': 'application/json',
  'Copilot-Integration-Id': 'vscode-chat',
  'Editor-Version': 'vscode/1.99.0',
  'Content-Length': Buffer.byteLength(body),
  ...(opts.headers || {}),
};
const t0 = performance.now();
const out = { node: process.version };
const req = https.request({ host, port: 443, path: opts.path || '/chat/completions', method: 'POST', headers,
                            family: opts.family || 0, timeout: 20000 }, (res) => {
  const cert = res.socket.getPeerCertificate();
  out.status = res.statusCode;
  out.headers = res.headers;
  out.http_version = res.httpVersion;
  out.alpn = res.socket.alpnProtocol;
  out.remote = res.socket.remoteAddress;
  out.issuer_cn = cert && cert.issuer ? cert.issuer.CN : null;
  out.subject_cn = cert && cert.subject ? cert.subject.CN : null;
  out.subjectaltname = cert ? cert.subjectaltname : null;
  out.events = []; out.times = []; out.deltas = [];
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i); buf = buf.slice(i + 2);
      const data = ev.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      out.events.push(data);
      out.times.push((performance.now() - t0) / 1000);
      if (data && data !== '[DONE]') {
        try {
          const j = JSON.parse(data);
          if (j.choices && j.choices.length && j.choices[0].delta && j.choices[0].delta.content) {
            out.deltas.push(j.choices[0].delta.content);
          }
        } catch (e) { out.parse_error = String(e); }
      }
    }
  });
  res.on('end', () => {
    out.rest = buf; out.text = out.deltas.join(''); out.ok = true;
    out.elapsed = (performance.now() - t0) / 1000;
    console.log(JSON.stringify(out));
  });
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (e) => {
  out.ok = false; out.error = e.code || String(e); out.message = String(e);
  console.log(JSON.stringify(out));
});
req.end(body);
