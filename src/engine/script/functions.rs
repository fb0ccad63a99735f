//! Functions (FUNCTION LOAD, FCALL): libraries of Lua functions registered with
//! `redis.register_function`, in their own Lua state (Redis's functions.c, function_lua.c).

#[derive(Default)]
pub struct Functions {}

impl Functions {
    /// The flags of function `name`, if it exists.
    pub fn flags_of(&self, _name: &[u8]) -> Option<u32> {
        None
    }
}
