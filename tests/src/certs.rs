//! A throwaway certificate authority for TLS tests: a CA, a server
//! certificate for 127.0.0.1/localhost and a client certificate, written as
//! PEM files into a temporary directory removed on drop.

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

pub struct TestPki {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A second client, with its own subject (CN=dockyard-client-2).
    pub client2_cert: PathBuf,
    pub client2_key: PathBuf,
    /// An agent of the cluster this CA makes: OU=dockyard-agent, the name
    /// every agent's certificate carries (`dockyard-agent`) and loopback.
    pub agent_cert: PathBuf,
    pub agent_key: PathBuf,
    /// The same, made by another CA (`rogue_ca`): an agent of no cluster
    /// the others know.
    pub rogue_ca: PathBuf,
    pub rogue_cert: PathBuf,
    pub rogue_key: PathBuf,
}

impl TestPki {
    pub fn new() -> TestPki {
        let dir = std::env::temp_dir().join(crate::unique_name("pki"));
        std::fs::create_dir_all(&dir).expect("pki dir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "dockyard test CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key"))
            .expect("ca");
        let leaf = |names: Vec<String>, cn: &str| {
            let key = KeyPair::generate().expect("key");
            let mut params = CertificateParams::new(names).expect("params");
            params.distinguished_name.push(DnType::CommonName, cn);
            let cert = params.signed_by(&key, &ca).expect("sign");
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf(
            vec!["127.0.0.1".into(), "localhost".into()],
            "dockyard-agent",
        );
        let (client_cert, client_key) = leaf(vec!["dockyard-client".into()], "dockyard-client");
        let (client2_cert, client2_key) =
            leaf(vec!["dockyard-client-2".into()], "dockyard-client-2");
        let agent_names = || {
            vec![
                "dockyard-agent".to_string(),
                "127.0.0.1".into(),
                "localhost".into(),
            ]
        };
        let agent = |issuer: &CertifiedIssuer<'_, KeyPair>| {
            let key = KeyPair::generate().expect("key");
            let mut params = CertificateParams::new(agent_names()).expect("params");
            params
                .distinguished_name
                .push(DnType::CommonName, "an agent");
            params
                .distinguished_name
                .push(DnType::OrganizationalUnitName, "dockyard-agent");
            let cert = params.signed_by(&key, issuer).expect("sign");
            (cert.pem(), key.serialize_pem())
        };
        let (agent_cert, agent_key) = agent(&ca);
        let mut rogue_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        rogue_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        rogue_params
            .distinguished_name
            .push(DnType::CommonName, "dockyard test CA");
        let rogue_ca =
            CertifiedIssuer::self_signed(rogue_params, KeyPair::generate().expect("key"))
                .expect("rogue ca");
        let (rogue_cert, rogue_key) = agent(&rogue_ca);
        let write = |name: &str, pem: &str| {
            let p = dir.join(name);
            std::fs::write(&p, pem).expect("write pem");
            p
        };
        TestPki {
            ca: write("ca.pem", &ca.pem()),
            server_cert: write("server.pem", &server_cert),
            server_key: write("server.key", &server_key),
            client_cert: write("client.pem", &client_cert),
            client_key: write("client.key", &client_key),
            client2_cert: write("client2.pem", &client2_cert),
            client2_key: write("client2.key", &client2_key),
            agent_cert: write("agent.pem", &agent_cert),
            agent_key: write("agent.key", &agent_key),
            rogue_ca: write("rogue-ca.pem", &rogue_ca.pem()),
            rogue_cert: write("rogue.pem", &rogue_cert),
            rogue_key: write("rogue.key", &rogue_key),
            dir,
        }
    }

    /// A file in this directory, for tokens and the like.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, contents).expect("write file");
        p
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}
