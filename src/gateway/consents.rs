//! Stored consents, loaded in bulk: `fairtrain_app::gateway::ConsentCache`.

use crate::http::context::Cx;
use crate::http::error::ApiResult;

pub use fairtrain_app::gateway::ConsentCache as Cache;

pub async fn load<'a>(
    cx: &Cx,
    ids: impl Iterator<Item = &'a str>,
    cache: &mut Cache,
) -> ApiResult<()> {
    Ok(cache.load(&cx.rt, ids).await?)
}
