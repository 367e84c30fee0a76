//! Background work started with the service (`build_state`): each job holds
//! only what it needs (never the `AppState`) and stops when the state drops.

pub mod outbox;
