-- verdis: the sandbox every script and function runs in. Runs once per Lua state, with the
-- real global table as its environment; `impl` is the table the engine keeps to talk to it,
-- `native` holds the functions written in Rust. After it runs, the engine makes `impl.P` the
-- global table: a read-only proxy whose reads of a missing name fail, as in Redis 7.0, where
-- the globals and every library table are read-only.
local impl, native = ...
local G = _G
local type, error, rawget, rawset, select, unpack, tostring, pairs, ipairs =
    type, error, rawget, rawset, select, unpack, tostring, pairs, ipairs
local setmetatable, getmetatable, pcall, xpcall, loadstring = setmetatable, getmetatable, pcall, xpcall, loadstring
local concat = table.concat

local RO = 'Attempt to modify a readonly table'
local protected = setmetatable({}, { __mode = 'k' })
local function deny() error(RO, 2) end

-- What getmetatable() returns for a protected table: itself read-only.
local guard = {}
setmetatable(guard, { __newindex = deny, __metatable = guard })
protected[guard] = true

-- The error for a missing name; raised from an __index function, so that level 3 (the code
-- that read the name) gets the blame.
local function missing(name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 3)
end

-- A read-only view of `real`; with `strict`, reading a missing field fails too.
-- Each proxy's real table, so that rawget, next and pairs see through proxies.
local real_of = setmetatable({}, { __mode = 'k' })

local function readonly(real, strict)
    local proxy = {}
    real_of[proxy] = real
    local index = real
    if strict then
        index = function(_, k)
            local v = real[k]
            if v == nil then missing(k) end
            return v
        end
    end
    setmetatable(proxy, { __index = index, __newindex = deny, __metatable = guard })
    protected[proxy] = true
    return proxy
end

local function copy(t)
    local c = {}
    for k, v in pairs(t) do c[k] = v end
    return c
end

local B = {}
-- Redis 7.0.15 offers these base functions (not getfenv, setfenv, newproxy, module, require).
for _, name in ipairs({ 'tostring', 'assert', 'tonumber', 'rawequal', 'collectgarbage',
    'getmetatable', 'type', 'select', 'unpack', 'gcinfo', 'ipairs', '_VERSION', 'error' }) do
    B[name] = G[name]
end
B.coroutine = readonly(G.coroutine)
B.string = readonly(G.string)
B.table = readonly(G.table)
local math = copy(G.math)
math.random = native.random
math.randomseed = native.randomseed
B.math = readonly(math)
B.bit = readonly(native.bit)
if native.cjson then B.cjson = readonly(native.cjson) end
if native.cmsgpack then B.cmsgpack = readonly(native.cmsgpack) end
if native.struct then B.struct = readonly(native.struct) end
getmetatable('').__metatable = guard

-- Raised from inside a C function in Redis, so without a position.
B.setmetatable = function(t, mt)
    if protected[t] then error(RO, 0) end
    return setmetatable(t, mt)
end
B.rawset = function(t, k, v)
    if protected[t] then error(RO, 0) end
    return rawset(t, k, v)
end
local next = next
B.rawget = function(t, k) return rawget(real_of[t] or t, k) end
B.next = function(t, k) return next(real_of[t] or t, k) end
B.pairs = function(t)
    return B.next, t, nil
end
-- Redis's pcall hands back the message of an error table rather than the table.
B.pcall = function(...)
    local r = { n = 0 }
    local function keep(...)
        r = { n = select('#', ...), ... }
    end
    keep(pcall(...))
    if not r[1] and type(r[2]) == 'table' then
        local e = r[2].err
        if type(e) == 'string' or type(e) == 'number' then r[2] = e end
    elseif not r[1] and type(r[2]) == 'userdata' then
        -- A script stopped for running too long stays stopped.
        if native.is_budget(r[2]) then error(r[2], 0) end
        r[2] = native.error_message(r[2])
    end
    return unpack(r, 1, r.n)
end
B.xpcall = function(f, handler)
    local r = { n = 0 }
    local function keep(...)
        r = { n = select('#', ...), ... }
    end
    keep(xpcall(f, function(e)
        if native.is_budget(e) then return e end
        return handler(e)
    end))
    if not r[1] and native.is_budget(r[2]) then error(r[2], 0) end
    return unpack(r, 1, r.n)
end
-- Binary chunks are refused, as Redis's Lua does.
B.loadstring = function(s, name)
    if type(s) == 'string' and s:byte(1) == 27 then
        return nil, 'binary chunks are not allowed'
    end
    return loadstring(s, name)
end
B.load = function(reader, name)
    local parts = {}
    if type(reader) == 'string' then return B.loadstring(reader, name) end
    while true do
        local p = reader()
        if p == nil or p == '' then break end
        parts[#parts + 1] = p
    end
    return B.loadstring(concat(parts), name)
end

local function add_log_and_version(R)
    R.log = native.log
    R.LOG_DEBUG, R.LOG_VERBOSE, R.LOG_NOTICE, R.LOG_WARNING = 0, 1, 2, 3
    R.REDIS_VERSION = native.version
    R.REDIS_VERSION_NUM = native.version_num
end

-- redis.call, pcall, setresp, set_repl and acl_check_cmd are set by the engine for each run.
local R = {}
R.sha1hex = native.sha1hex
R.error_reply = native.error_reply
R.status_reply = native.status_reply
R.replicate_commands = function() return true end
R.breakpoint = function() return false end
R.debug = function() end
R.REPL_NONE, R.REPL_AOF, R.REPL_SLAVE, R.REPL_REPLICA, R.REPL_ALL = 0, 1, 2, 2, 3
add_log_and_version(R)
B.redis = readonly(R)
impl.R = R

-- What library code sees while FUNCTION LOAD runs it: only redis.register_function (set by
-- the engine during the load), redis.log and the version; anything else is a missing global.
local LR = {}
add_log_and_version(LR)
LR.register_function = native.register_outside
impl.register_outside = native.register_outside
local LIB = { redis = readonly(LR, true) }
impl.LR = LR

local current = B
local P = {}
setmetatable(P, {
    __index = function(_, k)
        local v = rawget(current, k)
        if v == nil then missing(k) end
        return v
    end,
    __newindex = deny,
    __metatable = guard,
})
protected[P] = true
real_of[P] = B
B._G = P

impl.P = P
impl.B = B
impl.library_mode = function(on)
    if on then current = LIB else current = B end
    real_of[P] = current
end
-- Runs a script body (`fn()`) or a function (`fn(keys, args)`) under the error handler; answers
-- (true, first result) or (false, error table).
impl.run = function(fn, keys, args, is_function)
    if is_function then
        return xpcall(function() return fn(keys, args) end, native.handler)
    end
    return xpcall(fn, native.handler)
end
impl.run_load = function(fn)
    return xpcall(fn, native.handler)
end
-- Nothing reaches the real global table from a script but through C functions' environments;
-- what could read files goes anyway.
G.dofile, G.loadfile, G.print, G.require, G.module = nil, nil, nil, nil, nil
