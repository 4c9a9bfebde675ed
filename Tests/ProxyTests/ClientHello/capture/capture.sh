#!/bin/bash
# Captures the real ClientHellos used as test fixtures (Tests/ClientHelloTests/ClientHelloFixtures.swift).
# For each client: start listener.py on a random local port, run the client against it,
# and save the exact TLS records carrying the ClientHello as NAME.hex (NAME.cmd has the command).
# Regenerate the Swift file afterwards with: python3 make_fixtures.py > ../Tests/ClientHelloTests/ClientHelloFixtures.swift
set -u
cd "$(dirname "$0")"
cap() {
  local name=$1; shift
  local port=$((20000 + RANDOM % 20000))
  python3 listener.py $port $name.hex > /dev/null 2>&1 &
  local lp=$!
  sleep 0.5
  echo "$*" > $name.cmd
  timeout 5 bash -c "${*//\$PORT/$port}" < /dev/null > /dev/null 2>&1
  wait $lp && echo "$name: $(($(wc -c < $name.hex) / 2)) bytes"
}
LONG_NAME=$(python3 -c 'print(".".join(["a"*63, "b"*63, "c"*63, "d"*49]) + ".example")')
cap openssl_tls13 'openssl s_client -connect 127.0.0.1:$PORT -servername api.openai.com -alpn h2,http/1.1 -tls1_3'
cap openssl_tls12 'openssl s_client -connect 127.0.0.1:$PORT -servername api.openai.com -alpn h2,http/1.1 -tls1_2'
cap openssl_default 'openssl s_client -connect 127.0.0.1:$PORT -servername api.openai.com -alpn h2,http/1.1'
cap openssl_large "openssl s_client -connect 127.0.0.1:\$PORT -servername $LONG_NAME -alpn h2,http/1.1 -tls1_3 -enable_pha -groups ffdhe8192:ffdhe6144:X25519"
cap openssl_large_fragmented 'openssl s_client -connect 127.0.0.1:$PORT -servername api.openai.com -alpn h2,http/1.1 -tls1_3 -enable_pha -groups ffdhe8192:ffdhe6144:X25519 -max_send_frag 512'
cap openssl_nosni 'openssl s_client -connect 127.0.0.1:$PORT -noservername'
cap openssl_ip_sni 'openssl s_client -connect 127.0.0.1:$PORT -servername 127.0.0.1 -tls1_3'
cap curl_http2 'curl -sk --http2 --resolve api.openai.com:$PORT:127.0.0.1 https://api.openai.com:$PORT/'
cap curl_http11 'curl -sk --http1.1 --resolve api.openai.com:$PORT:127.0.0.1 https://api.openai.com:$PORT/'
cap curl_ip 'curl -sk --http2 https://127.0.0.1:$PORT/'
cap python_ssl "python3 -c \"import socket,ssl; c=ssl.create_default_context(); c.set_alpn_protocols(['h2','http/1.1']); c.wrap_socket(socket.create_connection(('127.0.0.1',\$PORT)), server_hostname='api.openai.com')\""
cap node "node -e \"require('tls').connect({host:'127.0.0.1',port:\$PORT,servername:'api.openai.com',ALPNProtocols:['h2','http/1.1'],rejectUnauthorized:false}).on('error',()=>{})\""
cap java 'java JavaHello.java $PORT'
