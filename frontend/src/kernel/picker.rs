//! The kernel picker's state and rules, without the DOM: what it lists, which entry is
//! current, the WebSocket URL field's validation, the notebook metadata a choice writes, and
//! which offered kernel a notebook's `metadata.kernelspec` names (Jupyter opens a notebook on
//! that kernel).

use wirebook_shared::ipynb::{KernelSpec, NotebookMetadata};
use wirebook_shared::session::{KernelChoice, KernelInfo, KernelOffer};

/// One row of the picker.
// A handful of rows: boxing the offer would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A kernel the server offers.
    Offer(KernelOffer),
    /// "WebSocket URL…": any ws:// or wss:// endpoint, typed into a field.
    WebSocketUrl,
    /// "Jupyter Server…": the gateway whose kernels are offered, its URL and token typed in.
    Gateway,
}

impl Entry {
    /// The label shown in the list.
    pub fn label(&self) -> String {
        match self {
            Entry::Offer(offer) => offer.display_name.clone(),
            Entry::WebSocketUrl => "WebSocket URL…".to_string(),
            Entry::Gateway => "Jupyter Server…".to_string(),
        }
    }

    /// What kind of kernel it is, in a word or two.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Offer(offer) => match offer.choice {
                KernelChoice::Startup => "startup kernel",
                KernelChoice::WebSocket { .. } => "WebSocket",
                KernelChoice::Jupyter { .. } => "Jupyter kernel",
                KernelChoice::Gateway { .. } => "remote (gateway)",
            },
            Entry::WebSocketUrl => "any ws:// or wss:// endpoint",
            Entry::Gateway => "its kernels, through its REST API",
        }
    }
}

/// The picker's rows: the offers as the server listed them, then the URL entry and the
/// gateway's.
pub fn entries(offers: &[KernelOffer]) -> Vec<Entry> {
    offers
        .iter()
        .cloned()
        .map(Entry::Offer)
        .chain([Entry::WebSocketUrl, Entry::Gateway])
        .collect()
}

/// Whether `entry` is the kernel the session uses now.
pub fn is_current(entry: &Entry, current: Option<&KernelInfo>) -> bool {
    match (entry, current) {
        (Entry::Offer(offer), Some(current)) => offer.choice == current.choice,
        (Entry::WebSocketUrl, Some(current)) => {
            matches!(current.choice, KernelChoice::WebSocket { .. })
        }
        _ => false,
    }
}

/// The row to highlight when the picker opens: the current kernel's, else the first.
pub fn initial_highlight(entries: &[Entry], current: Option<&KernelInfo>) -> usize {
    entries
        .iter()
        .position(|e| is_current(e, current))
        .unwrap_or(0)
}

/// The URL field's text as a WebSocket URL, or why it is not one.
pub fn websocket_url(text: &str) -> Result<String, String> {
    crate::kernel::websocket_url::check(
        text,
        "type a WebSocket URL, e.g. ws://127.0.0.1:9000/socket",
    )
}

/// The notebook's metadata once `choice` is picked: a Jupyter or gateway kernel becomes its
/// `kernelspec` (name, display name, language), a WebSocket URL its `wirebook.kernel`. The
/// startup kernel leaves the metadata as it is.
pub fn metadata_for(
    choice: &KernelChoice,
    offers: &[KernelOffer],
    metadata: &NotebookMetadata,
) -> NotebookMetadata {
    let mut metadata = metadata.clone();
    match choice {
        KernelChoice::Jupyter { name } | KernelChoice::Gateway { name } => {
            let offer = offers.iter().find(|o| &o.choice == choice);
            let mut extra = metadata
                .kernelspec
                .as_ref()
                .filter(|spec| &spec.name == name)
                .map(|spec| spec.extra.clone())
                .unwrap_or_default();
            if let Some(language) = offer.and_then(|o| o.language.clone()) {
                extra.insert("language".into(), language.into());
            }
            metadata.kernelspec = Some(KernelSpec {
                name: name.clone(),
                display_name: offer.map_or_else(|| name.clone(), |o| o.display_name.clone()),
                extra,
            });
        }
        KernelChoice::WebSocket { url, settings } => {
            let mut wirebook = metadata.wirebook.unwrap_or_default();
            wirebook.kernel = Some(crate::kernel::ws_settings::kernel_for_file(url, settings));
            metadata.wirebook = Some(wirebook);
        }
        KernelChoice::Startup => {}
    }
    metadata
}

/// What a notebook's `metadata.kernelspec` asks of the session, as Jupyter decides it when a
/// notebook opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotebookKernel {
    /// The notebook names no kernelspec: its WebSocket kernel, if any, decides.
    Unnamed,
    /// The kernel it names is the session's already.
    Current,
    /// Switch to this offered kernel: a local kernelspec of that name first, then a gateway one.
    Switch(KernelChoice),
    /// It names a kernel offered neither locally nor by the gateway: Jupyter's "Kernel not
    /// found". Nothing runs until the user picks a kernel, and the metadata stays as it is.
    NotFound(KernelSpec),
}

/// The sentence the kernel picker and a refused run show for a notebook whose kernel is
/// missing.
pub fn not_found(spec: &KernelSpec) -> String {
    let shown = if spec.display_name.is_empty() || spec.display_name == spec.name {
        format!("“{}”", spec.name)
    } else {
        format!("“{}” ({})", spec.display_name, spec.name)
    };
    format!("This notebook's kernel {shown} is offered neither by this server nor by its gateway")
}

/// Which kernel a notebook opens on, from its `metadata.kernelspec`, the offers and the
/// session's current kernel. A notebook that names a missing kernelspec but also records a
/// WebSocket kernel (`metadata.wirebook.kernel`) opens on that instead: it says where to go.
pub fn notebook_kernel(
    metadata: &NotebookMetadata,
    offers: &[KernelOffer],
    current: Option<&KernelInfo>,
) -> NotebookKernel {
    let Some(spec) = &metadata.kernelspec else {
        return NotebookKernel::Unnamed;
    };
    let local = KernelChoice::Jupyter {
        name: spec.name.clone(),
    };
    let remote = KernelChoice::Gateway {
        name: spec.name.clone(),
    };
    let offered = [local, remote]
        .into_iter()
        .find(|choice| offers.iter().any(|o| &o.choice == choice));
    let records_websocket = metadata
        .wirebook
        .as_ref()
        .is_some_and(|w| w.kernel.is_some());
    match offered {
        Some(choice) if current.is_some_and(|c| c.choice == choice) => NotebookKernel::Current,
        Some(choice) => NotebookKernel::Switch(choice),
        None if records_websocket => NotebookKernel::Unnamed,
        None => NotebookKernel::NotFound(spec.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wirebook_shared::ipynb::JsonMap;

    fn offer(choice: KernelChoice, name: &str, language: Option<&str>) -> KernelOffer {
        KernelOffer {
            choice,
            display_name: name.into(),
            language: language.map(str::to_string),
            source: "test".into(),
        }
    }

    fn python() -> KernelChoice {
        KernelChoice::Jupyter {
            name: "python3".into(),
        }
    }

    fn offers() -> Vec<KernelOffer> {
        vec![
            offer(KernelChoice::Startup, "echo", None),
            offer(python(), "Python 3 (ipykernel)", Some("python")),
            offer(
                KernelChoice::Gateway { name: "ir".into() },
                "R (remote)",
                Some("R"),
            ),
        ]
    }

    fn info(choice: KernelChoice) -> KernelInfo {
        KernelInfo {
            name: "x".into(),
            url: "x".into(),
            choice,
            language: None,
        }
    }

    #[test]
    fn lists_the_offers_then_the_url_entry_and_marks_the_current_one() {
        let list = entries(&offers());
        assert_eq!(list.len(), 5);
        assert_eq!(list[3], Entry::WebSocketUrl);
        assert_eq!(list[4], Entry::Gateway);
        assert_eq!(list[1].label(), "Python 3 (ipykernel)");
        assert_eq!(list[2].kind(), "remote (gateway)");
        let current = info(python());
        assert!(is_current(&list[1], Some(&current)));
        assert!(!is_current(&list[0], Some(&current)));
        assert_eq!(initial_highlight(&list, Some(&current)), 1);
        let ws = info(KernelChoice::WebSocket {
            url: "ws://h/x".into(),
            settings: Default::default(),
        });
        assert_eq!(initial_highlight(&list, Some(&ws)), 3);
        assert_eq!(initial_highlight(&list, None), 0);
    }

    #[test]
    fn an_empty_url_field_says_what_to_type() {
        assert!(websocket_url("")
            .unwrap_err()
            .contains("type a WebSocket URL"));
        assert_eq!(websocket_url(" wss://h "), Ok("wss://h".into()));
    }

    #[test]
    fn a_jupyter_choice_becomes_the_kernelspec_and_keeps_other_metadata() {
        let mut before = NotebookMetadata::default();
        before.extra.insert("title".into(), "t".into());
        let after = metadata_for(&python(), &offers(), &before);
        let spec = after.kernelspec.as_ref().unwrap();
        assert_eq!(spec.name, "python3");
        assert_eq!(spec.display_name, "Python 3 (ipykernel)");
        assert_eq!(spec.extra["language"], "python");
        assert_eq!(after.extra["title"], "t");
        // The startup kernel changes nothing; a URL is stored as wirebook's kernel.
        assert_eq!(
            metadata_for(&KernelChoice::Startup, &offers(), &after),
            after
        );
        let url = KernelChoice::WebSocket {
            url: "ws://h/x".into(),
            settings: Default::default(),
        };
        let with_url = metadata_for(&url, &offers(), &after);
        assert_eq!(
            with_url.wirebook.unwrap().kernel.unwrap().url.as_deref(),
            Some("ws://h/x")
        );
        assert_eq!(with_url.kernelspec, after.kernelspec);
    }

    #[test]
    fn a_notebook_opens_on_the_kernel_its_kernelspec_names() {
        let mut metadata = NotebookMetadata::default();
        assert_eq!(
            notebook_kernel(&metadata, &offers(), None),
            NotebookKernel::Unnamed
        );
        metadata.kernelspec = Some(KernelSpec {
            name: "python3".into(),
            display_name: "Python 3".into(),
            extra: JsonMap::new(),
        });
        let startup = info(KernelChoice::Startup);
        assert_eq!(
            notebook_kernel(&metadata, &offers(), Some(&startup)),
            NotebookKernel::Switch(python())
        );
        // Already on it: nothing to do.
        assert_eq!(
            notebook_kernel(&metadata, &offers(), Some(&info(python()))),
            NotebookKernel::Current
        );
        // A gateway kernelspec of that name when there is no local one.
        metadata.kernelspec.as_mut().unwrap().name = "ir".into();
        assert_eq!(
            notebook_kernel(&metadata, &offers(), Some(&startup)),
            NotebookKernel::Switch(KernelChoice::Gateway { name: "ir".into() })
        );
    }

    #[test]
    fn a_kernelspec_nobody_offers_is_not_found_unless_a_websocket_kernel_is_recorded() {
        let mut metadata = NotebookMetadata {
            kernelspec: Some(KernelSpec {
                name: "julia-1.10".into(),
                display_name: "Julia 1.10".into(),
                extra: JsonMap::new(),
            }),
            ..NotebookMetadata::default()
        };
        let startup = info(KernelChoice::Startup);
        let NotebookKernel::NotFound(missing) =
            notebook_kernel(&metadata, &offers(), Some(&startup))
        else {
            panic!("julia is not offered");
        };
        assert_eq!(missing.name, "julia-1.10");
        assert_eq!(
            not_found(&missing),
            "This notebook's kernel “Julia 1.10” (julia-1.10) is offered neither by this server \
             nor by its gateway"
        );
        // Even on a machine with no offers at all.
        assert!(matches!(
            notebook_kernel(&metadata, &[], None),
            NotebookKernel::NotFound(_)
        ));
        // A recorded WebSocket kernel says where the notebook goes instead.
        let after = metadata_for(
            &KernelChoice::WebSocket {
                url: "ws://h/x".into(),
                settings: Default::default(),
            },
            &offers(),
            &metadata,
        );
        metadata.wirebook = after.wirebook;
        assert_eq!(
            notebook_kernel(&metadata, &offers(), Some(&startup)),
            NotebookKernel::Unnamed
        );
    }
}
