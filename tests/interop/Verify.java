// Java's view of minica's certificates, for tests/cmd/verifiers.sh.
//
// Run as a source file (java Verify.java CASES-FILE). Each line of CASES-FILE:
//   NAME CA-PEM PFX PASSWORD-FILE HOST
// For each case Java loads the PFX (KeyStore "PKCS12"), validates the leaf
// against the CA with the PKIX CertPathValidator, then does a real TLS
// handshake on 127.0.0.1: a server presenting the PFX's key and chain, a
// client trusting only the CA with endpoint identification "HTTPS" (chain,
// extended key usage and host name or IP address, as any Java TLS client).
// Prints one line per case: NAME pkix=ok|fail(...) tls=ok|fail(...).
import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public class Verify {
    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            System.out.println(f[0] + " " + check(f[1], f[2], f[3], f[4]));
        }
    }

    static String check(String caPem, String pfx, String passFile, String host) throws Exception {
        char[] password = Files.readAllLines(Path.of(passFile), StandardCharsets.UTF_8).get(0).toCharArray();
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(pfx)) {
            p12.load(in, password);
        }
        List<String> aliases = Collections.list(p12.aliases());
        if (aliases.size() != 1 || !p12.isKeyEntry(aliases.get(0))) {
            return "pfx=fail(" + aliases.size() + " entries)";
        }
        X509Certificate leaf = (X509Certificate) p12.getCertificate(aliases.get(0));

        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        Set<TrustAnchor> anchors = new HashSet<>();
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        byte[] pem = Files.readAllBytes(Path.of(caPem));
        int n = 0;
        for (var c : cf.generateCertificates(new ByteArrayInputStream(pem))) {
            // Java's PKIX supports no name constraints on a trust anchor
            // ("name constraints in trust anchor not supported" when given to
            // TrustAnchor): those in the CA certificate itself are ignored.
            anchors.add(new TrustAnchor((X509Certificate) c, null));
            trust.setCertificateEntry("ca" + n++, c);
        }

        String pkix;
        try {
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(List.of(leaf)), params);
            pkix = "ok";
        } catch (Exception e) {
            pkix = "fail(" + e.getMessage() + ")";
        }
        return "pkix=" + pkix + " tls=" + handshake(p12, password, trust, host);
    }

    // A TLS server with the PFX's key and chain, and a client trusting the CA.
    static String handshake(KeyStore p12, char[] password, KeyStore trust, String host) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(p12, password);
        SSLContext serverCtx = SSLContext.getInstance("TLS");
        serverCtx.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        SSLContext clientCtx = SSLContext.getInstance("TLS");
        clientCtx.init(null, tmf.getTrustManagers(), null);

        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (SSLServerSocket server = (SSLServerSocket) serverCtx.getServerSocketFactory()
                .createServerSocket(0, 1, loopback)) {
            server.setSoTimeout(10000);
            Thread serverSide = new Thread(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.setSoTimeout(10000);
                    s.startHandshake();
                    s.getOutputStream().write('!');
                    s.getOutputStream().flush();
                } catch (Exception ignored) {
                    // the client reports what failed
                }
            });
            serverSide.start();
            try (Socket plain = new Socket(loopback, server.getLocalPort())) {
                plain.setSoTimeout(10000);
                SSLSocket client = (SSLSocket) clientCtx.getSocketFactory()
                        .createSocket(plain, host, server.getLocalPort(), true);
                SSLParameters p = client.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                if (!host.contains(":") && !host.matches("[0-9.]+")) {
                    p.setServerNames(List.of(new SNIHostName(host)));
                }
                client.setSSLParameters(p);
                client.startHandshake();
                int b = client.getInputStream().read();
                String proto = client.getSession().getProtocol();
                client.close();
                return b == '!' ? "ok(" + proto + ")" : "fail(no data)";
            } catch (Exception e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                return "fail(" + root.getMessage() + ")";
            } finally {
                serverSide.join(TimeUnit.SECONDS.toMillis(10));
            }
        }
    }
}
