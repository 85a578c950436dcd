use std::collections::HashMap;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

fn file(server: &str) -> Option<(PathBuf, FileConfig)> {
    let cfg: FileConfig = toml::from_str(&format!(
        "server = \"{server}\"\npassword = \"from-file\"\nserver_fingerprint = \"{}\"\n",
        "AB:".repeat(31) + "AB"
    ))
    .unwrap();
    Some(("/etc/fpaste.toml".into(), cfg))
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    let none = env_of(&[]);
    let s = resolve(&Overrides::default(), &none, None).unwrap();
    assert_eq!(
        (s.server.value.as_str(), s.server.source),
        ("http://127.0.0.1:5000/", Source::Default)
    );

    let s = resolve(&Overrides::default(), &none, file("http://file:1")).unwrap();
    assert_eq!(
        (s.server.value.as_str(), s.server.source),
        ("http://file:1/", Source::File)
    );
    assert_eq!(s.password.as_ref().map(|p| p.source), Some(Source::File));
    assert_eq!(s.server_fingerprint.unwrap().value, "ab".repeat(32));

    let env = env_of(&[(ENV_SERVER, "http://env:2"), (ENV_PASSWORD, "from-env")]);
    let s = resolve(&Overrides::default(), &env, file("http://file:1")).unwrap();
    assert_eq!(
        (s.server.value.as_str(), s.server.source),
        ("http://env:2/", Source::Env)
    );
    assert_eq!(s.password.unwrap().value.expose(), "from-env");

    let flags = Overrides {
        server: Some("https://flag:3/prefix".into()),
        password: Some("from-flag".into()),
        ..Overrides::default()
    };
    let s = resolve(&flags, &env, file("http://file:1")).unwrap();
    assert_eq!(
        (s.server.value.as_str(), s.server.source),
        ("https://flag:3/prefix", Source::Flag)
    );
    assert_eq!(s.password.unwrap().value.expose(), "from-flag");
}

#[test]
fn empty_env_values_are_unset() {
    let env = env_of(&[(ENV_SERVER, "")]);
    let s = resolve(&Overrides::default(), &env, file("http://file:1")).unwrap();
    assert_eq!(s.server.source, Source::File);
}

#[test]
fn rejects_bad_values() {
    let none = env_of(&[]);
    for server in ["ftp://x", "not a url", "http://"] {
        let flags = Overrides {
            server: Some(server.into()),
            ..Overrides::default()
        };
        assert!(resolve(&flags, &none, None).is_err(), "{server}");
    }
    let flags = Overrides {
        server_fingerprint: Some("abcd".into()),
        ..Overrides::default()
    };
    assert!(resolve(&flags, &none, None).is_err());
    let flags = Overrides {
        client_cert: Some("/c.pem".into()),
        ..Overrides::default()
    };
    assert!(matches!(
        resolve(&flags, &none, None),
        Err(CliError::Usage(_))
    ));
}

#[test]
fn config_file_rejects_unknown_keys_and_secrets_do_not_print() {
    assert!(toml::from_str::<FileConfig>("sever = \"typo\"").is_err());
    assert_eq!(format!("{:?}", Secret::new("hunter2".into())), "****");
}

#[test]
fn explicit_config_path_must_exist() {
    let flags = Overrides {
        config: Some("/nonexistent/fpaste.toml".into()),
        ..Overrides::default()
    };
    assert!(load_file(&flags, &env_of(&[])).is_err());
}
