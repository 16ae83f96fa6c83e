//! Running Lua scripts inside pipelines. `ScriptInvocation::invoke` reloads a
//! script the server does not know (after a restart or `SCRIPT FLUSH`), but a
//! pipeline of `EVALSHA`s does not; [`query_with_scripts`] adds that.
//!
//! Only use it for pipelines where a NOSCRIPT reply means nothing ran: every
//! command in them is an `EVALSHA` of the given scripts, or a read.

use redis::{
    ConnectionLike, ErrorKind, FromRedisValue, Pipeline, RedisResult, Script, ServerErrorKind,
};

pub fn query_with_scripts<T: FromRedisValue, C: ConnectionLike>(
    con: &mut C,
    pipe: &Pipeline,
    scripts: &[&Script],
) -> RedisResult<T> {
    match pipe.query(con) {
        Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
            for script in scripts {
                script.load(con)?;
            }
            pipe.query(con)
        }
        other => other,
    }
}
