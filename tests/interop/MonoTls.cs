// A TLS server on Mono's stack (SslStream, BoringSSL inside Mono) that
// presents the certificate and key loaded from a PFX with X509Certificate2,
// for tests/cmd/mono_tls.sh.
//
//   mono MonoTls.exe PFX PASSWORD-FILE PORT-FILE CONNECTIONS
//
// Listens on 127.0.0.1 on a port the system picks, writes it to PORT-FILE
// (complete when it appears), serves CONNECTIONS connections one after the
// other and exits. For each: "handshake N ok PROTOCOL" and a greeting line
// sent inside TLS, or "handshake N failed: REASON". Gives up after 120 s
// (a bound for a hang: a loaded machine JITs the TLS stack slowly).
using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;

public class MonoTls {
    public static int Main(string[] args) {
        if (args.Length != 4) {
            Console.Error.WriteLine("usage: MonoTls.exe PFX PASSWORD-FILE PORT-FILE CONNECTIONS");
            return 2;
        }
        var watchdog = new Timer(_ => {
            Console.WriteLine("timeout: gave up after 120 s");
            Environment.Exit(3);
        }, null, 120000, Timeout.Infinite);
        string password = File.ReadAllLines(args[1], Encoding.UTF8)[0];
        var cert = new X509Certificate2(args[0], password);
        int connections = int.Parse(args[3]);

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Console.WriteLine("listening 127.0.0.1:" + port + " " + cert.Subject + " key=" + cert.HasPrivateKey);
        Console.Out.Flush();
        File.WriteAllText(args[2] + ".tmp", port + "\n");
        File.Move(args[2] + ".tmp", args[2]);

        for (int n = 0; n < connections; n++) {
            using (TcpClient client = listener.AcceptTcpClient()) {
                client.ReceiveTimeout = 30000;
                client.SendTimeout = 30000;
                Serve(n, client, cert);
            }
        }
        listener.Stop();
        watchdog.Dispose();
        return 0;
    }

    static void Serve(int n, TcpClient client, X509Certificate2 cert) {
        try {
            using (var tls = new SslStream(client.GetStream(), false)) {
                tls.AuthenticateAsServer(cert, false, SslProtocols.Tls12, false);
                Console.WriteLine("handshake " + n + " ok " + tls.SslProtocol);
                byte[] hello = Encoding.ASCII.GetBytes("220 hello from Mono SslStream\r\n");
                tls.Write(hello, 0, hello.Length);
                tls.Flush();
            }
        } catch (Exception e) {
            string reason = e.InnerException != null ? e.InnerException.Message : e.Message;
            Console.WriteLine("handshake " + n + " failed: " + reason.Replace('\n', ' '));
        }
    }
}
