// A Java client for the deployment tests: GET the URL with the runtime's default trust
// (its cacerts keystore). Prints "OK <status>", or "CERTERR <message>" and exits 2 when the
// TLS handshake fails. Compiled on the host (the root has a JRE without javac) and run as
// `java -cp DIR Check URL` inside the root.
import java.net.URL;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLHandshakeException;

public class Check {
    public static void main(String[] args) throws Exception {
        HttpsURLConnection conn = (HttpsURLConnection) new URL(args[0]).openConnection();
        conn.setConnectTimeout(5000);
        conn.setReadTimeout(5000);
        try {
            System.out.println("OK " + conn.getResponseCode());
        } catch (SSLHandshakeException e) {
            System.out.println("CERTERR " + e.getMessage());
            System.exit(2);
        }
    }
}
