//! Filled-in content for the requests a client can send a kernel: the composer's starting
//! points. Field names follow the Jupyter messaging spec (protocol 5.4), each with its usual
//! channel; the values are ones a Python kernel answers meaningfully.

use serde_json::{json, Value};

use wirebook_shared::jupyter::Channel;

/// One request a user can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageTemplate {
    pub msg_type: &'static str,
    /// The channel the spec puts it on (control requests may also go on shell and back).
    pub channel: Channel,
    /// What the kernel does with it, in a few words.
    pub description: &'static str,
}

/// Every template, shell requests first.
pub const TEMPLATES: [MessageTemplate; 10] = [
    MessageTemplate {
        msg_type: "kernel_info_request",
        channel: Channel::Shell,
        description: "the kernel's language, version and banner",
    },
    MessageTemplate {
        msg_type: "execute_request",
        channel: Channel::Shell,
        description: "run code (outputs come on iopub)",
    },
    MessageTemplate {
        msg_type: "complete_request",
        channel: Channel::Shell,
        description: "completions at the cursor",
    },
    MessageTemplate {
        msg_type: "inspect_request",
        channel: Channel::Shell,
        description: "documentation of the name at the cursor",
    },
    MessageTemplate {
        msg_type: "history_request",
        channel: Channel::Shell,
        description: "the last inputs the kernel ran",
    },
    MessageTemplate {
        msg_type: "is_complete_request",
        channel: Channel::Shell,
        description: "whether code is complete or needs more lines",
    },
    MessageTemplate {
        msg_type: "comm_info_request",
        channel: Channel::Shell,
        description: "the comms open on the kernel (add target_name to narrow)",
    },
    MessageTemplate {
        msg_type: "interrupt_request",
        channel: Channel::Control,
        description: "interrupt the running code",
    },
    MessageTemplate {
        msg_type: "shutdown_request",
        channel: Channel::Control,
        description: "stop the kernel (restart: true starts it again)",
    },
    MessageTemplate {
        msg_type: "debug_request",
        channel: Channel::Control,
        description: "a Debug Adapter Protocol request (debugInfo)",
    },
];

impl MessageTemplate {
    /// The template for `msg_type`.
    pub fn find(msg_type: &str) -> Option<MessageTemplate> {
        TEMPLATES.iter().copied().find(|t| t.msg_type == msg_type)
    }

    /// The request's content with every field the spec defines filled in.
    pub fn content(&self) -> Value {
        match self.msg_type {
            "execute_request" => json!({
                "code": "print('hello from the composer')",
                "silent": false,
                "store_history": true,
                "user_expressions": {},
                "allow_stdin": false,
                "stop_on_error": true,
            }),
            "complete_request" => json!({ "code": "import os\nos.pa", "cursor_pos": 15 }),
            "inspect_request" => json!({ "code": "print", "cursor_pos": 5, "detail_level": 0 }),
            "history_request" => json!({
                "output": false,
                "raw": true,
                "hist_access_type": "tail",
                "n": 10,
            }),
            "is_complete_request" => json!({ "code": "for i in range(3):" }),
            "shutdown_request" => json!({ "restart": false }),
            "debug_request" => json!({
                "seq": 1,
                "type": "request",
                "command": "debugInfo",
                "arguments": {},
            }),
            // kernel_info_request and interrupt_request have empty content; comm_info_request's
            // only field, target_name, is optional (without it: every comm).
            _ => json!({}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_a_request_with_object_content() {
        for t in TEMPLATES {
            assert!(t.msg_type.ends_with("_request"), "{}", t.msg_type);
            assert!(t.content().is_object(), "{}", t.msg_type);
            assert_ne!(t.channel, Channel::Iopub);
            assert_ne!(t.channel, Channel::Heartbeat);
            assert_eq!(MessageTemplate::find(t.msg_type), Some(t));
        }
        assert_eq!(MessageTemplate::find("status"), None);
    }

    #[test]
    fn contents_use_the_spec_field_names() {
        let content = |m: &str| MessageTemplate::find(m).unwrap().content();
        let keys = |v: Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(
            keys(content("execute_request")),
            [
                "allow_stdin",
                "code",
                "silent",
                "stop_on_error",
                "store_history",
                "user_expressions"
            ]
        );
        // cursor_pos counts characters of code: the end of "os.pa".
        let complete = content("complete_request");
        assert_eq!(
            complete["cursor_pos"].as_u64().unwrap() as usize,
            complete["code"].as_str().unwrap().chars().count()
        );
        assert_eq!(
            keys(content("inspect_request")),
            ["code", "cursor_pos", "detail_level"]
        );
        assert_eq!(content("history_request")["hist_access_type"], "tail");
        assert_eq!(content("shutdown_request"), json!({ "restart": false }));
        assert_eq!(content("kernel_info_request"), json!({}));
        assert_eq!(
            MessageTemplate::find("shutdown_request").unwrap().channel,
            Channel::Control
        );
    }
}
