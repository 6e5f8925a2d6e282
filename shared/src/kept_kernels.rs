//! Kernels that outlive the page: the key a browser names its kernel by on `/session`, and the
//! bodies of `/api/kernels`, the "Running kernels" list.
//!
//! A session that names a key shares and keeps the kernel of that key: a notebook's path (two
//! tabs on one notebook share its kernel, as in Jupyter), or, for the scratch notebook, a
//! per-tab id (a reload keeps it, another tab has its own). The key travels in the `/session`
//! query (`?token=…&notebook=PATH` or `&tab=ID`); a session without one has a private kernel
//! that ends with it.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /api/kernels` | | `200` [`RunningKernels`] |
//! | `DELETE /api/kernels/ID` | | `204`; `404` for an unknown id |

use serde::{Deserialize, Serialize};

use crate::session::KernelState;

pub const KERNELS_API: &str = "/api/kernels";

/// The longest notebook path a key may name, in bytes (the notebooks API's paths are shorter).
pub const MAX_PATH_KEY: usize = 4096;
/// The longest tab id, in bytes.
pub const MAX_TAB_KEY: usize = 64;

/// Which kept kernel a session uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KernelKey {
    /// A notebook file's path, relative to the notebook directory.
    Notebook { path: String },
    /// The scratch notebook of one browser tab.
    Tab { id: String },
}

impl KernelKey {
    /// The key from `/session`'s decoded query pairs: `Ok(None)` when none is named, `Err` for a
    /// key that is empty, too long or given twice (a tab id is letters, digits, `-` and `_`).
    pub fn from_query<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Option<KernelKey>, String> {
        let mut key = None;
        for (name, value) in pairs {
            let found = match name {
                "notebook" => KernelKey::notebook(value)?,
                "tab" => KernelKey::tab(value)?,
                _ => continue,
            };
            if key.replace(found).is_some() {
                return Err("name one kernel key: notebook=PATH or tab=ID, once".into());
            }
        }
        Ok(key)
    }

    pub fn notebook(path: &str) -> Result<KernelKey, String> {
        if path.is_empty() || path.len() > MAX_PATH_KEY {
            return Err(format!(
                "notebook= takes a notebook path of 1 to {MAX_PATH_KEY} bytes"
            ));
        }
        Ok(KernelKey::Notebook { path: path.into() })
    }

    pub fn tab(id: &str) -> Result<KernelKey, String> {
        let fits = !id.is_empty()
            && id.len() <= MAX_TAB_KEY
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !fits {
            return Err(format!(
                "tab= takes an id of 1 to {MAX_TAB_KEY} letters, digits, '-' or '_'"
            ));
        }
        Ok(KernelKey::Tab { id: id.into() })
    }

    /// The query pair that names this key (percent-encoded), to append after `&`.
    pub fn to_query(&self) -> String {
        match self {
            KernelKey::Notebook { path } => format!("notebook={}", encode_query_value(path)),
            KernelKey::Tab { id } => format!("tab={id}"),
        }
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters and `/` (a path's segments stay
/// readable; `&`, `=`, `+` and `#` cannot end the value early).
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One kernel of the "Running kernels" list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningKernel {
    /// What `DELETE /api/kernels/ID` takes.
    pub id: u64,
    /// `None`: a session's private kernel (it ends with its session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KernelKey>,
    /// The kernel's name as the picker shows it (`Python 3 (ipykernel)`, `echo`).
    pub kernel: String,
    /// `None` until the kernel's connection reported a state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<KernelState>,
    /// Browser sessions using it now.
    pub attached: u32,
    /// Seconds since anything happened on it (a command, a message, a session leaving).
    pub idle_seconds: u64,
}

/// `GET /api/kernels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningKernels {
    pub kernels: Vec<RunningKernel>,
    /// How long a kept kernel without sessions lives on (`--cull-idle-timeout`).
    pub cull_idle_timeout_seconds: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_query() {
        assert_eq!(KernelKey::from_query([("token", "t")]), Ok(None));
        assert_eq!(
            KernelKey::from_query([("token", "t"), ("notebook", "a/b c.ipynb")]),
            Ok(Some(KernelKey::Notebook {
                path: "a/b c.ipynb".into()
            }))
        );
        assert_eq!(
            KernelKey::from_query([("tab", "x-1_Z")]),
            Ok(Some(KernelKey::Tab { id: "x-1_Z".into() }))
        );
        assert!(KernelKey::from_query([("tab", "a"), ("notebook", "b")]).is_err());
        assert!(KernelKey::from_query([("tab", "")]).is_err());
        assert!(KernelKey::from_query([("tab", "a/b")]).is_err());
        assert!(KernelKey::from_query([("notebook", "")]).is_err());
        let long = "x".repeat(MAX_PATH_KEY + 1);
        assert!(KernelKey::from_query([("notebook", long.as_str())]).is_err());
    }

    #[test]
    fn a_key_survives_its_query() {
        let key = KernelKey::Notebook {
            path: "dir/a&b=c+d #1.ipynb".into(),
        };
        let query = key.to_query();
        assert_eq!(query, "notebook=dir/a%26b%3Dc%2Bd%20%231.ipynb");
        let (name, value) = query.split_once('=').unwrap();
        let decoded = crate::notebook_files::decode_path(value).unwrap();
        assert_eq!(
            KernelKey::from_query([(name, decoded.as_str())]),
            Ok(Some(key))
        );
        assert_eq!(KernelKey::Tab { id: "t1".into() }.to_query(), "tab=t1");
    }

    #[test]
    fn the_list_is_pinned() {
        let list = RunningKernels {
            kernels: vec![RunningKernel {
                id: 3,
                key: Some(KernelKey::Notebook {
                    path: "a.ipynb".into(),
                }),
                kernel: "echo".into(),
                state: Some(KernelState::open()),
                attached: 0,
                idle_seconds: 12,
            }],
            cull_idle_timeout_seconds: 600,
        };
        let json = r#"{"kernels":[{"id":3,"key":{"kind":"notebook","path":"a.ipynb"},"kernel":"echo","state":{"state":"open"},"attached":0,"idle_seconds":12}],"cull_idle_timeout_seconds":600}"#;
        assert_eq!(serde_json::to_string(&list).unwrap(), json);
        assert_eq!(serde_json::from_str::<RunningKernels>(json).unwrap(), list);
    }
}
