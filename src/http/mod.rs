//! HTTP: the router and one file per resource (parse, authorise, call the
//! application, render), request bodies, replies and problem documents.

pub mod auth;
pub mod body;
pub mod context;
pub mod error;
pub mod reply;
pub mod router;
pub mod routes;
pub mod stream;
