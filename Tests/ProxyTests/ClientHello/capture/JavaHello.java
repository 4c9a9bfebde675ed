import javax.net.ssl.*;
public class JavaHello {
    public static void main(String[] a) throws Exception {
        SSLSocket s = (SSLSocket) SSLSocketFactory.getDefault().createSocket("127.0.0.1", Integer.parseInt(a[0]));
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(java.util.List.of(new SNIHostName("api.openai.com")));
        p.setApplicationProtocols(new String[]{"h2", "http/1.1"});
        s.setSSLParameters(p);
        try { s.startHandshake(); } catch (Exception e) {}
    }
}
