// Mono's view of minica's PFX files, for tests/cmd/mono_pfx.sh: the nearest
// thing to Windows' X509Certificate2, X509Chain and X509Store on Debian.
//
// Compiled by the test with mcs. Three modes; each prints KEY=VALUE lines
// and, where Mono throws, "error TYPE: MESSAGE" as the value, never a stack:
//   load PFX PASSWORD-FILE DATA SIGNATURE
//       loads the PFX (X509Certificate2), prints what Mono sees, and signs
//       DATA with the private key (RSA, SHA-256, PKCS#1 v1.5) into SIGNATURE;
//       checks the signature with the certificate's public key.
//   chain PFX PASSWORD-FILE CA-PEM
//       X509Chain with CA-PEM as an extra store and an unknown CA allowed
//       (how .NET code trusts a private root without installing it).
//   store PFX PASSWORD-FILE
//       adds the certificate to X509Store(My, CurrentUser) and finds it again
//       by thumbprint from a new X509Store object.
using System;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

public class MonoPfx {
    static void Say(string key, string value) {
        Console.WriteLine(key + "=" + value);
    }

    static string Error(Exception e) {
        return "error " + e.GetType().Name + ": " + e.Message;
    }

    static X509Certificate2 Load(string pfx, string passFile) {
        string password = File.ReadAllLines(passFile, Encoding.UTF8)[0];
        return new X509Certificate2(pfx, password, X509KeyStorageFlags.Exportable);
    }

    public static int Main(string[] args) {
        if (args.Length < 3) {
            Console.Error.WriteLine("usage: MonoPfx.exe load|chain|store PFX PASSWORD-FILE [...]");
            return 2;
        }
        X509Certificate2 cert;
        try {
            cert = Load(args[1], args[2]);
        } catch (Exception e) {
            Say("load", Error(e));
            return 0;
        }
        Say("load", "ok");
        switch (args[0]) {
        case "load":
            Describe(cert);
            Sign(cert, args[3], args[4]);
            break;
        case "chain":
            Chain(cert, args[3]);
            break;
        case "store":
            Store(cert);
            break;
        default:
            Console.Error.WriteLine("unknown mode " + args[0]);
            return 2;
        }
        return 0;
    }

    static void Describe(X509Certificate2 cert) {
        Say("subject", cert.Subject);
        Say("issuer", cert.Issuer);
        Say("thumbprint", cert.Thumbprint);
        Say("friendlyname", cert.FriendlyName);
        Say("keyalg", cert.PublicKey.Oid.Value);
        Say("haskey", cert.HasPrivateKey.ToString());
        var ekus = new StringBuilder();
        foreach (X509Extension ext in cert.Extensions) {
            var eku = ext as X509EnhancedKeyUsageExtension;
            if (eku == null) {
                continue;
            }
            foreach (Oid oid in eku.EnhancedKeyUsages) {
                ekus.Append(ekus.Length > 0 ? "," : "").Append(oid.Value);
            }
        }
        Say("eku", ekus.ToString());
        try {
            AsymmetricAlgorithm key = cert.PrivateKey;
            Say("privatekey", key == null ? "null" : key.GetType().Name + " " + key.KeySize);
        } catch (Exception e) {
            Say("privatekey", Error(e));
        }
        try {
            ECDsa ec = cert.GetECDsaPrivateKey();
            Say("ecdsakey", ec == null ? "null" : ec.GetType().Name + " " + ec.KeySize);
        } catch (Exception e) {
            Say("ecdsakey", Error(e));
        }
    }

    // The signature is written for openssl to check against the leaf; Mono
    // checks it too, with the public key taken from the certificate, and
    // refuses it for other data.
    static void Sign(X509Certificate2 cert, string dataFile, string sigFile) {
        byte[] data = File.ReadAllBytes(dataFile);
        byte[] sig;
        try {
            RSA key = cert.GetRSAPrivateKey();
            if (key == null) {
                Say("sign", "no RSA private key");
                return;
            }
            sig = key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        } catch (Exception e) {
            Say("sign", Error(e));
            return;
        }
        File.WriteAllBytes(sigFile, sig);
        Say("sign", "ok");
        RSA pub = cert.GetRSAPublicKey();
        Say("verify", pub.VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) ? "ok" : "bad");
        data[0] ^= 1;
        Say("verify_other_data", pub.VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) ? "ok" : "bad");
    }

    static void Chain(X509Certificate2 cert, string caPem) {
        var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ExtraStore.Add(new X509Certificate2(caPem));
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
        bool built;
        try {
            built = chain.Build(cert);
        } catch (Exception e) {
            Say("chain", Error(e));
            return;
        }
        Say("chain", built ? "built" : "not built");
        var status = new StringBuilder();
        foreach (X509ChainStatus s in chain.ChainStatus) {
            status.Append(status.Length > 0 ? "," : "").Append(s.Status);
        }
        Say("chainstatus", status.ToString());
        var elements = new StringBuilder();
        foreach (X509ChainElement e in chain.ChainElements) {
            elements.Append(elements.Length > 0 ? " " : "").Append(e.Certificate.Thumbprint);
        }
        Say("elements", elements.ToString());
    }

    static void Store(X509Certificate2 cert) {
        var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadWrite);
        store.Add(cert);
        store.Close();
        var again = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        again.Open(OpenFlags.ReadOnly);
        Say("storecount", again.Certificates.Count.ToString());
        X509Certificate2Collection found =
            again.Certificates.Find(X509FindType.FindByThumbprint, cert.Thumbprint, false);
        Say("found", found.Count.ToString());
        foreach (X509Certificate2 c in found) {
            Say("found_subject", c.Subject);
            Say("found_thumbprint", c.Thumbprint);
            Say("found_haskey", c.HasPrivateKey.ToString());
        }
        again.Close();
    }
}
