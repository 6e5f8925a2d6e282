//! The WebSocket kernel's connection settings as the picker edits them and as the notebook
//! keeps them: the form's text fields read into [`WebSocketSettings`] with an error per field,
//! and the settings written to `metadata.wirebook.kernel.settings` without the values of
//! secret headers (a shared notebook must not carry a token), which are asked for again when
//! the notebook is opened.

use serde_json::Value;
use wirebook_shared::ipynb::{JsonMap, WirebookKernel};
use wirebook_shared::session::{HeaderSetting, KernelChoice, WebSocketSettings};

/// The picker's form: what the user typed, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsForm {
    pub headers: Vec<HeaderSetting>,
    pub origin: String,
    /// Comma-separated, in order of preference.
    pub subprotocols: String,
    pub ca_pem: String,
    pub skip_verification: bool,
    pub connect_timeout_ms: String,
    pub ping_interval_ms: String,
    pub pong_timeout_ms: String,
    pub max_message_size: String,
    pub reconnect: bool,
}

/// Which field a problem belongs to (the form shows it next to that field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The header at this index.
    Header(usize),
    Origin,
    Subprotocols,
    CaPem,
    ConnectTimeout,
    PingInterval,
    PongTimeout,
    MaxMessageSize,
}

impl SettingsForm {
    pub fn from_settings(settings: &WebSocketSettings) -> Self {
        let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        SettingsForm {
            headers: settings.headers.clone(),
            origin: settings.origin.clone().unwrap_or_default(),
            subprotocols: settings.subprotocols.join(", "),
            ca_pem: settings.ca_pem.clone().unwrap_or_default(),
            skip_verification: settings.skip_verification,
            connect_timeout_ms: number(settings.connect_timeout_ms),
            ping_interval_ms: number(settings.ping_interval_ms),
            pong_timeout_ms: number(settings.pong_timeout_ms),
            max_message_size: number(settings.max_message_size),
            reconnect: settings.reconnect,
        }
    }

    /// The settings, or every problem with the field it belongs to. Header rows left empty
    /// are ignored.
    pub fn settings(&self) -> Result<WebSocketSettings, Vec<(Field, String)>> {
        let mut problems = Vec::new();
        let mut headers = Vec::new();
        for (index, header) in self.headers.iter().enumerate() {
            let name = header.name.trim();
            if name.is_empty() && header.value.is_empty() {
                continue;
            }
            match header_problem(name, &header.value) {
                Some(why) => problems.push((Field::Header(index), why)),
                None => headers.push(HeaderSetting {
                    name: name.to_string(),
                    value: header.value.clone(),
                    secret: header.secret,
                }),
            }
        }
        let origin = self.origin.trim();
        if !origin.is_empty()
            && origin != "null"
            && !(origin.starts_with("http://") || origin.starts_with("https://"))
        {
            problems.push((
                Field::Origin,
                "an Origin is a scheme and host, e.g. https://example.com".into(),
            ));
        }
        let subprotocols: Vec<String> = self
            .subprotocols
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(bad) = subprotocols.iter().find(|p| !is_token(p)) {
            problems.push((
                Field::Subprotocols,
                format!("“{bad}” is not a subprotocol name (letters, digits and !#$%&'*+-.^_`|~)"),
            ));
        }
        let ca_pem = self.ca_pem.trim();
        if !ca_pem.is_empty() && !ca_pem.contains("-----BEGIN CERTIFICATE-----") {
            problems.push((
                Field::CaPem,
                "paste a PEM certificate: -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----"
                    .into(),
            ));
        }
        let mut number = |text: &str, field: Field, what: &str| -> Option<u64> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            match text.parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problems.push((field, format!("{what} is a whole number above 0")));
                    None
                }
            }
        };
        let connect_timeout_ms = number(
            &self.connect_timeout_ms,
            Field::ConnectTimeout,
            "the connect timeout (ms)",
        );
        let ping_interval_ms = number(
            &self.ping_interval_ms,
            Field::PingInterval,
            "the ping interval (ms)",
        );
        let pong_timeout_ms = number(
            &self.pong_timeout_ms,
            Field::PongTimeout,
            "the pong timeout (ms)",
        );
        let max_message_size = number(
            &self.max_message_size,
            Field::MaxMessageSize,
            "the maximum message size (bytes)",
        );
        if pong_timeout_ms.is_some() && ping_interval_ms.is_none() && problems.is_empty() {
            problems.push((
                Field::PongTimeout,
                "a pong timeout needs a ping interval: pongs answer pings".into(),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(WebSocketSettings {
            headers,
            origin: (!origin.is_empty()).then(|| origin.to_string()),
            subprotocols,
            ca_pem: (!ca_pem.is_empty()).then(|| ca_pem.to_string()),
            skip_verification: self.skip_verification,
            connect_timeout_ms,
            ping_interval_ms,
            pong_timeout_ms,
            max_message_size,
            reconnect: self.reconnect,
        })
    }
}

/// RFC 7230 token characters (header names and subprotocols).
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

fn header_problem(name: &str, value: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the header has a value but no name".into());
    }
    if !is_token(name) {
        return Some(format!("“{name}” is not a header name (no spaces or ':')"));
    }
    let reserved = [
        "host",
        "connection",
        "upgrade",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
    ];
    if reserved.contains(&name.to_ascii_lowercase().as_str()) {
        return Some(format!(
            "{name} is set by the handshake itself (subprotocols have their own field)"
        ));
    }
    if value.contains(['\r', '\n']) {
        return Some(format!("the value of {name} cannot contain a line break"));
    }
    None
}

/// `settings` as the notebook file keeps them: secret headers keep their name and lose their
/// value. `None` when there is nothing to keep.
pub fn to_file(settings: &WebSocketSettings) -> Option<Value> {
    let mut kept = settings.clone();
    for header in kept.headers.iter_mut().filter(|h| h.secret) {
        header.value.clear();
    }
    if kept.is_default() {
        return None;
    }
    serde_json::to_value(kept).ok()
}

/// The WebSocket kernel a notebook's `metadata.wirebook.kernel` names, with its settings as
/// the file has them (secret headers without values). `None` for other kinds or no URL.
/// Settings that cannot be read are left out, with the reason.
pub fn from_file(kernel: &WirebookKernel) -> Option<(String, WebSocketSettings, Option<String>)> {
    if kernel.kind != WirebookKernel::WEBSOCKET {
        return None;
    }
    let url = kernel.url.clone()?;
    match kernel.extra.get("settings") {
        None => Some((url, WebSocketSettings::default(), None)),
        Some(value) => match serde_json::from_value(value.clone()) {
            Ok(settings) => Some((url, settings, None)),
            Err(e) => Some((
                url,
                WebSocketSettings::default(),
                Some(format!(
                    "the notebook's kernel settings cannot be read: {e}"
                )),
            )),
        },
    }
}

/// Names of secret headers still waiting for their value (a notebook just opened).
pub fn missing_secrets(settings: &WebSocketSettings) -> Vec<String> {
    settings
        .headers
        .iter()
        .filter(|h| h.secret && h.value.is_empty())
        .map(|h| h.name.clone())
        .collect()
}

/// `metadata.wirebook.kernel` for a URL and its settings.
pub fn kernel_for_file(url: &str, settings: &WebSocketSettings) -> WirebookKernel {
    let mut kernel = WirebookKernel::websocket(url);
    if let Some(value) = to_file(settings) {
        // Inserted: a map collected from an array compiles a sort of its own into the wasm.
        let mut extra = JsonMap::new();
        extra.insert("settings".to_string(), value);
        kernel.extra = extra;
    }
    kernel
}

/// Whether a kernel choice skips certificate checks (flagged wherever the kernel is shown).
pub fn insecure(choice: &KernelChoice) -> bool {
    matches!(choice, KernelChoice::WebSocket { settings, .. } if settings.skip_verification)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, value: &str, secret: bool) -> HeaderSetting {
        HeaderSetting {
            name: name.into(),
            value: value.into(),
            secret,
        }
    }

    #[test]
    fn a_filled_form_reads_into_settings_and_back() {
        let form = SettingsForm {
            headers: vec![
                header("Authorization", "Bearer t", true),
                header("", "", false),
                header("X-Trace", "1", false),
            ],
            origin: " https://app.example ".into(),
            subprotocols: "v2, v1,".into(),
            ca_pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
            skip_verification: true,
            connect_timeout_ms: "5000".into(),
            ping_interval_ms: "20000".into(),
            pong_timeout_ms: "10000".into(),
            max_message_size: "".into(),
            reconnect: true,
        };
        let settings = form.settings().unwrap();
        assert_eq!(settings.headers.len(), 2);
        assert_eq!(settings.origin.as_deref(), Some("https://app.example"));
        assert_eq!(settings.subprotocols, vec!["v2", "v1"]);
        assert_eq!(settings.connect_timeout_ms, Some(5000));
        assert_eq!(settings.max_message_size, None);
        assert!(settings.reconnect && settings.skip_verification);
        let again = SettingsForm::from_settings(&settings).settings().unwrap();
        assert_eq!(again, settings);
        assert_eq!(
            SettingsForm::default().settings(),
            Ok(WebSocketSettings::default())
        );
    }

    #[test]
    fn every_bad_field_says_what_is_wrong() {
        let form = SettingsForm {
            headers: vec![
                header("Bad Name", "x", false),
                header("", "orphan", false),
                header("Sec-WebSocket-Protocol", "v1", false),
                header("X", "a\r\nInjected: 1", false),
            ],
            origin: "example.com".into(),
            subprotocols: "v 2".into(),
            ca_pem: "hello".into(),
            connect_timeout_ms: "0".into(),
            ping_interval_ms: "soon".into(),
            max_message_size: "-1".into(),
            ..SettingsForm::default()
        };
        let problems = form.settings().unwrap_err();
        let fields: Vec<Field> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec![
                Field::Header(0),
                Field::Header(1),
                Field::Header(2),
                Field::Header(3),
                Field::Origin,
                Field::Subprotocols,
                Field::CaPem,
                Field::ConnectTimeout,
                Field::PingInterval,
                Field::MaxMessageSize,
            ]
        );
        assert!(problems[6].1.contains("BEGIN CERTIFICATE"));
        let lonely_pong = SettingsForm {
            pong_timeout_ms: "100".into(),
            ..SettingsForm::default()
        };
        assert_eq!(lonely_pong.settings().unwrap_err()[0].0, Field::PongTimeout);
    }

    #[test]
    fn secret_values_never_reach_the_file_and_are_asked_for_again() {
        let settings = WebSocketSettings {
            headers: vec![
                header("Authorization", "Bearer t", true),
                header("X-Trace", "1", false),
            ],
            reconnect: true,
            ..WebSocketSettings::default()
        };
        let kernel = kernel_for_file("wss://h/x", &settings);
        let text = serde_json::to_string(&kernel.extra).unwrap();
        assert!(!text.contains("Bearer"), "{text}");
        assert!(text.contains("Authorization") && text.contains("X-Trace"));
        let (url, read, problem) = from_file(&kernel).unwrap();
        assert_eq!(url, "wss://h/x");
        assert_eq!(problem, None);
        assert_eq!(read.headers[0].value, "");
        assert_eq!(read.headers[1].value, "1");
        assert!(read.reconnect);
        assert_eq!(missing_secrets(&read), vec!["Authorization"]);
        assert!(missing_secrets(&settings).is_empty());
        // Default settings write nothing; other kinds are not WebSocket kernels.
        assert!(kernel_for_file("ws://h/", &WebSocketSettings::default())
            .extra
            .is_empty());
        assert_eq!(
            from_file(&WirebookKernel {
                kind: "echo".into(),
                url: None,
                extra: JsonMap::new()
            }),
            None
        );
        let mut broken = kernel_for_file("ws://h/", &settings);
        broken.extra.insert("settings".into(), Value::from(3));
        assert!(from_file(&broken)
            .unwrap()
            .2
            .unwrap()
            .contains("cannot be read"));
    }

    #[test]
    fn skipping_verification_is_flagged() {
        let mut settings = WebSocketSettings::default();
        let url = |settings: &WebSocketSettings| KernelChoice::WebSocket {
            url: "wss://h/".into(),
            settings: settings.clone(),
        };
        assert!(!insecure(&url(&settings)));
        settings.skip_verification = true;
        assert!(insecure(&url(&settings)));
        assert!(!insecure(&KernelChoice::Startup));
    }
}
