//! `fpaste config`: the effective settings, where each came from, secrets masked.

use serde_json::{Value, json};

use super::{Context, emit, emit_json};
use crate::config::{Setting, Source};
use crate::error::Result;

fn entry<T: ToString>(setting: Option<&Setting<T>>) -> Value {
    match setting {
        Some(s) => json!({ "value": s.value.to_string(), "source": s.source }),
        None => Value::Null,
    }
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Flag => "flag",
        Source::Env => "env",
        Source::File => "file",
        Source::Default => "default",
    }
}

/// Runs `config`.
pub fn run(ctx: &Context) -> Result<()> {
    let s = &ctx.settings;
    let path = |p: &Option<Setting<std::path::PathBuf>>| {
        p.as_ref().map(|s| Setting {
            value: s.value.display().to_string(),
            source: s.source,
        })
    };
    let masked = s.password.as_ref().map(|p| Setting {
        value: "****".to_owned(),
        source: p.source,
    });
    let rows: Vec<(&str, Value)> = vec![
        ("server", entry(Some(&s.server))),
        ("client_cert", entry(path(&s.client_cert).as_ref())),
        ("client_key", entry(path(&s.client_key).as_ref())),
        ("ca_file", entry(path(&s.ca_file).as_ref())),
        ("server_fingerprint", entry(s.server_fingerprint.as_ref())),
        ("password", entry(masked.as_ref())),
    ];
    let config_file = s.config_file.as_ref().map(|p| p.display().to_string());
    if ctx.json {
        let mut map: serde_json::Map<String, Value> =
            rows.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        map.insert("config_file".into(), json!(config_file));
        return emit_json(&Value::Object(map));
    }
    let mut text = format!(
        "config_file        = {}\n",
        config_file.as_deref().unwrap_or("(none)")
    );
    for (name, value) in rows {
        let line = match value.get("value").and_then(Value::as_str) {
            Some(v) => {
                let source = match value.get("source").and_then(Value::as_str) {
                    Some(src) => src.to_owned(),
                    None => source_name(Source::Default).to_owned(),
                };
                format!("{name:<18} = {v}  ({source})\n")
            }
            None => format!("{name:<18} = (unset)\n"),
        };
        text.push_str(&line);
    }
    emit(text.as_bytes())
}
