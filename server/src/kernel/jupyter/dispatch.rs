//! The loop of an open Jupyter link, whatever carries its messages: the ZeroMQ sockets of a
//! local kernel ([`super::link`]) or a Jupyter Server's channels WebSocket
//! (`crate::kernel::gateway::link`). Those links differ in how they start, handshake, stay
//! alive and end; the relay once the kernel is open ([`Dispatch::relay`]), what a command
//! becomes, which channels a client may send on, and how a kernel's message reaches the
//! session are written once, here, over a [`Transport`].

use std::future::Future;

use tokio::sync::mpsc;
use wirebook_shared::Channel;

use super::client::{JupyterClient, Outgoing};
use crate::kernel::{KernelEvent, LinkCommand};
use crate::shutdown::Shutdown;

/// What carries a Jupyter kernel's messages.
pub trait Transport {
    /// Something the transport saw: a message from the kernel, or a moment of its own.
    type Seen: Send;
    /// Why the transport ended the relay.
    type End;
    /// Waits for the next thing seen, or the transport's end. Cancel-safe: the relay also
    /// waits for commands meanwhile.
    fn next(&mut self) -> impl Future<Output = Result<Self::Seen, Self::End>> + Send;
    /// Handles what was seen: records it and gives its messages to `dispatch`; `Err` ends
    /// the relay.
    fn handle(
        &mut self,
        seen: Self::Seen,
        dispatch: &mut Dispatch,
    ) -> impl Future<Output = Result<(), Self::End>> + Send;
    /// A send failed (the session was told): whether that ends the relay. A WebSocket that
    /// failed is gone; a ZeroMQ socket only lost that message.
    fn send_failed(&mut self, why: String) -> Option<Self::End>;
    /// Records and sends one message on its channel.
    fn send(
        &mut self,
        outgoing: &Outgoing,
        caused_by: Option<u64>,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// Whether an interrupt is an `interrupt_request` on control (the kernelspec's
    /// `interrupt_mode: message`) rather than [`Transport::interrupt`].
    fn interrupts_by_message(&self) -> bool;
    /// Interrupts the kernel outside its channels (a signal, a REST call).
    fn interrupt(&mut self) -> impl Future<Output = Result<(), String>> + Send;
}

/// How [`Dispatch::relay`] ended.
#[derive(Debug)]
pub enum Relayed<E> {
    /// The transport ended it.
    Transport(E),
    /// The session dropped the link.
    SessionEnded,
    ServerShutdown,
}

/// A link's protocol state and its way to the session.
#[derive(Debug)]
pub struct Dispatch {
    pub client: JupyterClient,
    pub events: mpsc::Sender<KernelEvent>,
}

impl Dispatch {
    pub fn new(client: JupyterClient, events: mpsc::Sender<KernelEvent>) -> Self {
        Dispatch { client, events }
    }

    /// Relays between the session and an open kernel until the transport ends, the session
    /// drops the link or the server shuts down.
    pub async fn relay<T: Transport>(
        &mut self,
        transport: &mut T,
        queue: &mut mpsc::Receiver<LinkCommand>,
        shutdown: &Shutdown,
    ) -> Relayed<T::End> {
        loop {
            tokio::select! {
                seen = transport.next() => {
                    let handled = match seen {
                        Ok(seen) => transport.handle(seen, self).await,
                        Err(end) => Err(end),
                    };
                    if let Err(end) = handled {
                        return Relayed::Transport(end);
                    }
                }
                command = queue.recv() => match command {
                    Some(command) => {
                        if let Err(why) = self.command(transport, command).await {
                            if let Some(end) = transport.send_failed(why) {
                                return Relayed::Transport(end);
                            }
                        }
                    }
                    None => return Relayed::SessionEnded,
                },
                () = shutdown.triggered() => return Relayed::ServerShutdown,
            }
        }
    }

    /// Carries out one command. A failure is told to the session (`RunFailed` for code,
    /// `Refused` otherwise); `Err` also says that the transport failed, which ends a
    /// WebSocket's connection but only that message on ZeroMQ: the caller decides.
    pub async fn command<T: Transport>(
        &mut self,
        transport: &mut T,
        command: LinkCommand,
    ) -> Result<(), String> {
        match command {
            LinkCommand::Execute(execute) => {
                let request = self.client.execute_request(&execute);
                if let Err(why) = transport.send(&request, execute.caused_by).await {
                    self.emit(KernelEvent::RunFailed {
                        cell_id: execute.cell_id,
                        message: why.clone(),
                    })
                    .await;
                    return Err(why);
                }
                Ok(())
            }
            LinkCommand::Interrupt => {
                let interrupted = if transport.interrupts_by_message() {
                    let request = self.client.interrupt_request();
                    transport.send(&request, None).await
                } else {
                    transport.interrupt().await
                };
                if let Err(why) = &interrupted {
                    self.refuse(format!("cannot interrupt the kernel: {why}"))
                        .await;
                }
                interrupted
            }
            LinkCommand::InputReply { value } => match self.client.input_reply(value) {
                Ok(reply) => {
                    self.sent_or_refused(transport.send(&reply, None).await)
                        .await
                }
                Err(message) => {
                    self.refuse(message).await;
                    Ok(())
                }
            },
            LinkCommand::Send {
                channel,
                msg_type,
                content,
                caused_by,
            } => {
                if matches!(channel, Channel::Iopub | Channel::Heartbeat) {
                    let message = format!(
                        "cannot send on {}: a client only listens there (send on shell, control or stdin)",
                        channel.name()
                    );
                    self.refuse(message).await;
                    return Ok(());
                }
                let request = self.client.request(channel, &msg_type, content);
                let msg_id = request.msg_id().to_string();
                self.sent_or_refused(transport.send(&request, caused_by).await)
                    .await?;
                self.emit(KernelEvent::MessageSent {
                    channel,
                    msg_type,
                    msg_id,
                })
                .await;
                Ok(())
            }
        }
    }

    /// Gives the session the events of the kernel's messages (from [`JupyterClient::on_message`]
    /// or [`JupyterClient::on_refused`]), in order.
    pub async fn emit_all(&self, events: Vec<KernelEvent>) {
        for event in events {
            self.emit(event).await;
        }
    }

    pub async fn refuse(&self, message: String) {
        self.emit(KernelEvent::Refused {
            cell_id: None,
            message,
        })
        .await;
    }

    pub async fn emit(&self, event: KernelEvent) {
        // The session may be gone already; the link still ends properly.
        let _ = self.events.send(event).await;
    }

    async fn sent_or_refused(&self, sent: Result<(), String>) -> Result<(), String> {
        if let Err(why) = &sent {
            self.refuse(why.clone()).await;
        }
        sent
    }
}
