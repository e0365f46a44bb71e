//! etcd's `--config-file`: the YAML of `etcd.conf.yml.sample` (etcd 3.4's `embed.configYAML`)
//! turned into the equivalent `--flag=value` list, so that one parser and one validation
//! serve flags, env and file alike. Parsing only: the caller reads the file.
//!
//! The mapping follows etcd's: keys are the flag names; `client-transport-security` and
//! `peer-transport-security` hold `cert-file`, `key-file`, `client-cert-auth`,
//! `trusted-ca-file` and `auto-tls` (the peer ones become `--peer-*`); a null or empty value
//! keeps the default; lists (`log-outputs`, `cipher-suites`) are joined with commas; integer
//! values of Go `time.Duration` fields are nanoseconds, as Go's YAML decoding reads them.
//! etcd 3.6's `discovery-config` (`token`, and `client` with `endpoints`, the timeouts,
//! `secure` and `auth`) becomes the `--discovery-*` flags of v3 discovery.
//! Keys etcd does not know are ignored, as etcd ignores them.

use serde_yaml_ng::Value;

/// Keys whose Go type is `time.Duration`: an integer there is nanoseconds.
const DURATION_KEYS: &[&str] = &[
    "grpc-keepalive-min-time",
    "grpc-keepalive-interval",
    "grpc-keepalive-timeout",
    "backend-batch-interval",
    "experimental-corrupt-check-time",
    "experimental-watch-progress-notify-interval",
    "experimental-warning-apply-duration",
    "discovery-dial-timeout",
    "discovery-request-timeout",
    "discovery-keepalive-time",
    "discovery-keepalive-timeout",
];

/// etcd 3.6's `discovery-config` mapping (`v3discovery.DiscoveryConfig`): its paths and the
/// flags they stand for.
const DISCOVERY_CONFIG_KEYS: &[(&[&str], &str)] = &[
    (&["token"], "discovery-token"),
    (&["client", "endpoints"], "discovery-endpoints"),
    (&["client", "dial-timeout"], "discovery-dial-timeout"),
    (&["client", "request-timeout"], "discovery-request-timeout"),
    (&["client", "keepalive-time"], "discovery-keepalive-time"),
    (
        &["client", "keepalive-timeout"],
        "discovery-keepalive-timeout",
    ),
    (&["client", "secure", "cert"], "discovery-cert"),
    (&["client", "secure", "key"], "discovery-key"),
    (&["client", "secure", "cacert"], "discovery-cacert"),
    (
        &["client", "secure", "insecure-transport"],
        "discovery-insecure-transport",
    ),
    (
        &["client", "secure", "insecure-skip-tls-verify"],
        "discovery-insecure-skip-tls-verify",
    ),
    (&["client", "auth", "username"], "discovery-user"),
    (&["client", "auth", "password"], "discovery-password"),
];

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// Not YAML, or not a mapping at the top.
    #[error("error unmarshaling JSON: {0}")]
    Yaml(String),
    /// A value of a shape etcd's fields cannot take (a mapping where a scalar is expected).
    #[error("error unmarshaling JSON: cannot unmarshal {what} into Go struct field of {key}")]
    Shape {
        /// The key.
        key: String,
        /// What was found.
        what: &'static str,
    },
}

/// Converts the text of an etcd YAML configuration file into `--flag=value` arguments
/// (without argv0), keeping only keys in `known` (the server's long flag names).
///
/// # Errors
/// [`ConfigFileError`] when the text is not a YAML mapping or a value has the wrong shape.
pub fn yaml_to_args(text: &str, known: &[String]) -> Result<Vec<String>, ConfigFileError> {
    let doc: Value =
        serde_yaml_ng::from_str(text).map_err(|e| ConfigFileError::Yaml(e.to_string()))?;
    let map = match doc {
        Value::Mapping(m) => m,
        Value::Null => return Ok(Vec::new()),
        _ => {
            return Err(ConfigFileError::Yaml(
                "the document is not a mapping".into(),
            ))
        }
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let Some(key) = k.as_str() else { continue };
        match key {
            "client-transport-security" | "peer-transport-security" => {
                let prefix = if key.starts_with("peer") { "peer-" } else { "" };
                let sec = match v {
                    Value::Mapping(m) => m,
                    Value::Null => continue,
                    _ => {
                        return Err(ConfigFileError::Shape {
                            key: key.to_string(),
                            what: "scalar",
                        })
                    }
                };
                for (sk, sv) in sec {
                    let Some(sk) = sk.as_str() else { continue };
                    let flag = match (prefix, sk) {
                        ("", "auto-tls") => "auto-tls".to_string(),
                        ("peer-", "auto-tls") => "peer-auto-tls".to_string(),
                        (p, "cert-file" | "key-file" | "client-cert-auth" | "trusted-ca-file") => {
                            format!("{p}{sk}")
                        }
                        // 3.5+ keys such as crl-file or allowed-cn: passed on when known.
                        (p, other) => format!("{p}{other}"),
                    };
                    push(&mut out, known, &flag, sv)?;
                }
            }
            "discovery-config" => {
                if !matches!(v, Value::Mapping(_) | Value::Null) {
                    return Err(ConfigFileError::Shape {
                        key: key.to_string(),
                        what: "scalar",
                    });
                }
                for (path, flag) in DISCOVERY_CONFIG_KEYS {
                    let found = path.iter().try_fold(&v, |node, part| node.get(*part));
                    if let Some(found) = found {
                        push(&mut out, known, flag, found.clone())?;
                    }
                }
            }
            _ => push(&mut out, known, key, v)?,
        }
    }
    Ok(out)
}

fn push(
    out: &mut Vec<String>,
    known: &[String],
    key: &str,
    v: Value,
) -> Result<(), ConfigFileError> {
    if !known.iter().any(|k| k == key) {
        return Ok(());
    }
    let text = match v {
        Value::Null => return Ok(()),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if DURATION_KEYS.contains(&key) => format!("{n}ns"),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => return Ok(()),
        Value::String(s) => s,
        Value::Sequence(items) => {
            let parts: Vec<String> = items
                .into_iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect();
            if parts.is_empty() {
                return Ok(());
            }
            parts.join(",")
        }
        Value::Mapping(_) | Value::Tagged(_) => {
            return Err(ConfigFileError::Shape {
                key: key.to_string(),
                what: "object",
            })
        }
    };
    out.push(format!("--{key}={text}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_shapes_become_flags() {
        let known: Vec<String> = [
            "name",
            "data-dir",
            "heartbeat-interval",
            "cert-file",
            "peer-client-cert-auth",
            "auto-tls",
            "log-outputs",
            "grpc-keepalive-timeout",
            "proxy",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let text = "name: 'n1'\ndata-dir:\nheartbeat-interval: 100\nproxy: 'off'\n\
            client-transport-security:\n  cert-file: /c.pem\n  auto-tls: false\n\
            peer-transport-security:\n  client-cert-auth: true\n\
            log-outputs: [stderr, stdout]\ngrpc-keepalive-timeout: 3000000000\nunknown-key: 1\n";
        let args = yaml_to_args(text, &known).expect("valid");
        assert_eq!(
            args,
            [
                "--name=n1",
                "--heartbeat-interval=100",
                "--proxy=off",
                "--cert-file=/c.pem",
                "--auto-tls=false",
                "--peer-client-cert-auth=true",
                "--log-outputs=stderr,stdout",
                "--grpc-keepalive-timeout=3000000000ns",
            ]
        );
        assert!(yaml_to_args("name: [a: {b", &known).is_err());
        assert!(yaml_to_args("name:\n  x: 1\n", &known).is_err());
        let known: Vec<String> = DISCOVERY_CONFIG_KEYS
            .iter()
            .map(|(_, f)| f.to_string())
            .collect();
        let text = "discovery-config:\n  token: tok\n  client:\n    endpoints: [a:1, b:2]\n    \
            dial-timeout: 3000000000\n    secure:\n      insecure-transport: false\n    \
            auth:\n      username: u\n";
        assert_eq!(
            yaml_to_args(text, &known).expect("valid"),
            [
                "--discovery-token=tok",
                "--discovery-endpoints=a:1,b:2",
                "--discovery-dial-timeout=3000000000ns",
                "--discovery-insecure-transport=false",
                "--discovery-user=u",
            ]
        );
    }
}
