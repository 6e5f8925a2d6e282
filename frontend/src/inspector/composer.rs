//! The kernel message composer's model: start from a template, edit the content as JSON with
//! errors located by line and column, and turn the draft into a [`ClientMsg::SendKernelMessage`].
//! The composer is for Jupyter kernels only (local or through a gateway); [`availability`]
//! says why it is off otherwise.

use crate::inspector::message_templates::MessageTemplate;
use serde_json::Value;
use wirebook_shared::cell_format::CellFormatError;
use wirebook_shared::jupyter::Channel;
use wirebook_shared::session::{ClientMsg, KernelChoice, KernelInfo};

/// Channels a client can send on (iopub and heartbeat are the kernel's to speak on).
pub const SEND_CHANNELS: [Channel; 3] = [Channel::Shell, Channel::Control, Channel::Stdin];

/// What the user is composing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub channel: Channel,
    pub msg_type: String,
    /// The content as the user typed it.
    pub content: String,
}

impl Default for Draft {
    fn default() -> Self {
        Draft::from_template(
            MessageTemplate::find("kernel_info_request")
                .unwrap_or(crate::inspector::message_templates::TEMPLATES[0]),
        )
    }
}

impl Draft {
    /// The template's channel, msg_type and content (pretty JSON, two-space indent).
    pub fn from_template(template: MessageTemplate) -> Draft {
        Draft {
            channel: template.channel,
            msg_type: template.msg_type.to_string(),
            content: pretty(&template.content()),
        }
    }

    /// Parses the content: a JSON object, as every Jupyter message's content is; an error
    /// shows as `line 3, column 7: expected `,` or `}``.
    pub fn parsed_content(&self) -> Result<Value, CellFormatError> {
        let value: Value =
            serde_json::from_str(&self.content).map_err(|e| CellFormatError::json(&e))?;
        if !value.is_object() {
            return Err(CellFormatError::new(format!(
                "content must be a JSON object ({{...}}), not {}",
                kind(&value)
            )));
        }
        Ok(value)
    }

    /// The message to send, or what is wrong with the draft.
    pub fn to_message(&self) -> Result<ClientMsg, String> {
        let msg_type = self.msg_type.trim();
        if msg_type.is_empty() {
            return Err("msg_type is empty".into());
        }
        if msg_type.chars().any(char::is_whitespace) {
            return Err(format!("msg_type {msg_type:?} has spaces in it"));
        }
        if !SEND_CHANNELS.contains(&self.channel) {
            return Err(format!(
                "a client cannot send on {}: choose shell, control or stdin",
                self.channel.name()
            ));
        }
        let content = self.parsed_content().map_err(|e| e.to_string())?;
        Ok(ClientMsg::SendKernelMessage {
            channel: self.channel,
            msg_type: msg_type.to_string(),
            content,
        })
    }

    /// Re-indents the content if it parses (what the "Format" button does).
    pub fn formatted(&self) -> Option<String> {
        serde_json::from_str::<Value>(&self.content)
            .ok()
            .map(|v| pretty(&v))
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether the session's kernel takes composed messages: `Err` says why not.
pub fn availability(kernel: Option<&KernelInfo>) -> Result<(), String> {
    match kernel.map(|k| &k.choice) {
        Some(KernelChoice::Jupyter { .. } | KernelChoice::Gateway { .. }) => Ok(()),
        Some(_) => Err(format!(
            "The composer sends Jupyter messages; this session's kernel ({}) is a plain WebSocket kernel. Pick a Jupyter kernel to use it.",
            kernel.map_or("", |k| k.name.as_str())
        )),
        None => Err("No kernel is selected yet.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_the_draft_with_pretty_json() {
        let draft = Draft::from_template(MessageTemplate::find("complete_request").unwrap());
        assert_eq!(draft.channel, Channel::Shell);
        assert_eq!(draft.msg_type, "complete_request");
        assert!(draft.content.contains("\n  \"cursor_pos\": 15"));
        let Ok(ClientMsg::SendKernelMessage {
            channel,
            msg_type,
            content,
        }) = draft.to_message()
        else {
            panic!("a template is sendable")
        };
        assert_eq!(
            (channel, msg_type.as_str()),
            (Channel::Shell, "complete_request")
        );
        assert_eq!(content["cursor_pos"], 15);
        assert_eq!(Draft::default().msg_type, "kernel_info_request");
        assert_eq!(Draft::default().content, "{}");
    }

    #[test]
    fn json_errors_say_where() {
        let draft = Draft {
            content: "{\n  \"code\": \"x\"\n  \"cursor_pos\": 1\n}".into(),
            ..Draft::default()
        };
        let err = draft.parsed_content().unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(3)));
        assert_eq!(err.message, "expected `,` or `}`");
        assert_eq!(err.to_string(), "line 3, column 3: expected `,` or `}`");
        assert!(draft
            .to_message()
            .unwrap_err()
            .starts_with("line 3, column 3"));
        assert_eq!(draft.formatted(), None);

        let array = Draft {
            content: "[1]".into(),
            ..Draft::default()
        };
        let err = array.parsed_content().unwrap_err();
        assert_eq!(err.line, None);
        assert!(err.to_string().contains("not an array"));
    }

    #[test]
    fn msg_type_and_channel_are_checked() {
        let blank = Draft {
            msg_type: "  ".into(),
            ..Draft::default()
        };
        assert_eq!(blank.to_message().unwrap_err(), "msg_type is empty");
        let spaced = Draft {
            msg_type: "kernel info".into(),
            ..Draft::default()
        };
        assert!(spaced.to_message().unwrap_err().contains("spaces"));
        let iopub = Draft {
            channel: Channel::Iopub,
            ..Draft::default()
        };
        assert!(iopub
            .to_message()
            .unwrap_err()
            .contains("cannot send on iopub"));
        let messy = Draft {
            content: "{\"a\":[1,2]}".into(),
            ..Draft::default()
        };
        assert_eq!(
            messy.formatted().unwrap(),
            "{\n  \"a\": [\n    1,\n    2\n  ]\n}"
        );
    }

    #[test]
    fn only_jupyter_kernels_take_composed_messages() {
        let info = |choice| KernelInfo {
            name: "k".into(),
            url: "u".into(),
            choice,
            language: None,
        };
        assert!(availability(Some(&info(KernelChoice::Jupyter {
            name: "python3".into()
        })))
        .is_ok());
        assert!(availability(Some(&info(KernelChoice::Gateway {
            name: "python3".into()
        })))
        .is_ok());
        assert!(availability(Some(&info(KernelChoice::Startup)))
            .unwrap_err()
            .contains("plain WebSocket kernel"));
        assert!(availability(None).is_err());
    }
}
