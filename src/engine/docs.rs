//! Documentation facts for COMMAND DOCS, for every Redis 7.0 command and subcommand, so each
//! command family gets its docs as soon as its handlers are registered.
//!
//! The summaries are verdis's own one-sentence descriptions (not Redis's text). `since` and
//! `group` come from the command table (`table_data.rs`). Redis also reports each command's
//! complexity, history and argument tree; verdis leaves those optional fields out.

/// `(full name, summary)`, sorted by name (a test checks), one per command and subcommand.
pub static SUMMARIES: &[(&str, &str)] = &[
    ("acl", "Container for the access control list subcommands."),
    (
        "acl|cat",
        "Lists the ACL categories, or the commands in one category.",
    ),
    (
        "acl|deluser",
        "Removes ACL users and disconnects their clients.",
    ),
    (
        "acl|dryrun",
        "Checks whether a user could run a command, without running it.",
    ),
    (
        "acl|genpass",
        "Produces a random secure password for ACL users.",
    ),
    ("acl|getuser", "Shows the rules of one ACL user."),
    ("acl|help", "Describes the ACL subcommands."),
    (
        "acl|list",
        "Shows the rules of every ACL user in config-file form.",
    ),
    ("acl|load", "Reloads the users from the ACL file."),
    ("acl|log", "Shows or clears recent ACL security events."),
    ("acl|save", "Writes the current users to the ACL file."),
    ("acl|setuser", "Creates an ACL user or changes its rules."),
    ("acl|users", "Lists the names of the ACL users."),
    (
        "acl|whoami",
        "Names the user the connection is authenticated as.",
    ),
    (
        "append",
        "Adds bytes to the end of a string value, creating the key if needed.",
    ),
    (
        "asking",
        "Lets the next command reach a slot being imported in cluster mode.",
    ),
    (
        "auth",
        "Authenticates the connection with a password, or a username and password.",
    ),
    (
        "bgrewriteaof",
        "Rewrites the append-only file in the background.",
    ),
    ("bgsave", "Saves the dataset to disk in the background."),
    (
        "bitcount",
        "Counts the set bits of a string, optionally within a range.",
    ),
    (
        "bitfield",
        "Reads, writes and increments integer fields packed inside a string.",
    ),
    (
        "bitfield_ro",
        "Reads integer fields packed inside a string, without writing.",
    ),
    (
        "bitop",
        "Combines strings bitwise with AND, OR, XOR or NOT into a destination key.",
    ),
    ("bitpos", "Finds the first bit set to 0 or 1 in a string."),
    (
        "blmove",
        "Moves an element between lists, waiting for one if the source is empty.",
    ),
    (
        "blmpop",
        "Pops elements from the first non-empty of several lists, waiting if all are empty.",
    ),
    (
        "blpop",
        "Pops the head of the first non-empty list, waiting if all are empty.",
    ),
    (
        "brpop",
        "Pops the tail of the first non-empty list, waiting if all are empty.",
    ),
    (
        "brpoplpush",
        "Moves a list's tail to another list's head, waiting for an element if needed.",
    ),
    (
        "bzmpop",
        "Pops members from the first non-empty of several sorted sets, waiting if all are empty.",
    ),
    (
        "bzpopmax",
        "Pops the highest-scored member of the first non-empty sorted set, waiting if needed.",
    ),
    (
        "bzpopmin",
        "Pops the lowest-scored member of the first non-empty sorted set, waiting if needed.",
    ),
    ("client", "Container for the client connection subcommands."),
    (
        "client|caching",
        "Tells tracking whether to remember the keys read by the next command.",
    ),
    (
        "client|getname",
        "Returns the name given to this connection.",
    ),
    (
        "client|getredir",
        "Returns the client that receives this connection's tracking messages.",
    ),
    ("client|help", "Describes the CLIENT subcommands."),
    ("client|id", "Returns the unique id of this connection."),
    (
        "client|info",
        "Describes this connection in CLIENT LIST's format.",
    ),
    (
        "client|kill",
        "Closes the connections that match a set of filters.",
    ),
    ("client|list", "Describes every connection, one line each."),
    (
        "client|no-evict",
        "Exempts this connection from client eviction, or makes it eligible again.",
    ),
    (
        "client|pause",
        "Holds back commands from clients for a while.",
    ),
    (
        "client|reply",
        "Switches the server's replies to this connection on, off, or off for one command.",
    ),
    ("client|setname", "Gives this connection a name."),
    (
        "client|tracking",
        "Turns server-assisted client-side caching on or off.",
    ),
    (
        "client|trackinginfo",
        "Describes this connection's client-side caching state.",
    ),
    (
        "client|unblock",
        "Wakes a client blocked in a blocking command.",
    ),
    ("client|unpause", "Ends a client pause early."),
    ("cluster", "Container for the cluster subcommands."),
    ("cluster|addslots", "Assigns hash slots to this node."),
    (
        "cluster|addslotsrange",
        "Assigns ranges of hash slots to this node.",
    ),
    (
        "cluster|bumpepoch",
        "Moves this node to a new, higher configuration epoch.",
    ),
    (
        "cluster|count-failure-reports",
        "Counts the live failure reports about a node.",
    ),
    (
        "cluster|countkeysinslot",
        "Counts the keys in one hash slot.",
    ),
    ("cluster|delslots", "Removes hash slots from this node."),
    (
        "cluster|delslotsrange",
        "Removes ranges of hash slots from this node.",
    ),
    (
        "cluster|failover",
        "Makes a replica take over from its master.",
    ),
    (
        "cluster|flushslots",
        "Removes every hash slot from this node.",
    ),
    (
        "cluster|forget",
        "Drops a node from this node's view of the cluster.",
    ),
    (
        "cluster|getkeysinslot",
        "Lists some keys stored in one hash slot.",
    ),
    ("cluster|help", "Describes the CLUSTER subcommands."),
    (
        "cluster|info",
        "Reports the state of the cluster as this node sees it.",
    ),
    (
        "cluster|keyslot",
        "Computes which hash slot a key belongs to.",
    ),
    (
        "cluster|links",
        "Describes this node's connections to its peers.",
    ),
    ("cluster|meet", "Introduces another node into the cluster."),
    ("cluster|myid", "Returns this node's id."),
    (
        "cluster|nodes",
        "Describes every node in this node's cluster configuration.",
    ),
    ("cluster|replicas", "Lists the replicas of a master node."),
    (
        "cluster|replicate",
        "Makes this node a replica of another node.",
    ),
    ("cluster|reset", "Clears this node's cluster state."),
    (
        "cluster|saveconfig",
        "Writes the cluster configuration to disk.",
    ),
    (
        "cluster|set-config-epoch",
        "Sets the configuration epoch of a fresh node.",
    ),
    (
        "cluster|setslot",
        "Changes the state of a hash slot on this node.",
    ),
    (
        "cluster|shards",
        "Describes the cluster's shards and their nodes.",
    ),
    (
        "cluster|slaves",
        "Lists the replicas of a master node (old name).",
    ),
    ("cluster|slots", "Maps hash slot ranges to nodes."),
    ("command", "Describes the commands this server knows."),
    ("command|count", "Counts the commands this server knows."),
    (
        "command|docs",
        "Returns documentation facts about commands.",
    ),
    (
        "command|getkeys",
        "Finds the key arguments of a complete command.",
    ),
    (
        "command|getkeysandflags",
        "Finds the key arguments of a complete command and how each is accessed.",
    ),
    ("command|help", "Describes the COMMAND subcommands."),
    ("command|info", "Describes the named commands."),
    ("command|list", "Lists command names, optionally filtered."),
    ("config", "Container for the configuration subcommands."),
    (
        "config|get",
        "Reads configuration parameters matching patterns.",
    ),
    ("config|help", "Describes the CONFIG subcommands."),
    (
        "config|resetstat",
        "Zeroes the server's statistics counters.",
    ),
    (
        "config|rewrite",
        "Writes the running configuration back to the config file.",
    ),
    (
        "config|set",
        "Changes configuration parameters at run time.",
    ),
    ("copy", "Duplicates a key's value under another name."),
    ("dbsize", "Counts the keys in the selected database."),
    ("debug", "Runs internal debugging and testing operations."),
    ("decr", "Subtracts one from an integer string value."),
    (
        "decrby",
        "Subtracts an amount from an integer string value.",
    ),
    ("del", "Removes keys."),
    ("discard", "Abandons the commands queued since MULTI."),
    ("dump", "Serializes a key's value into an opaque payload."),
    ("echo", "Replies with its argument."),
    ("eval", "Runs a Lua script."),
    ("eval_ro", "Runs a Lua script that may not write."),
    (
        "evalsha",
        "Runs a cached Lua script named by its SHA1 digest.",
    ),
    (
        "evalsha_ro",
        "Runs a cached read-only Lua script named by its SHA1 digest.",
    ),
    ("exec", "Runs the commands queued since MULTI."),
    ("exists", "Counts how many of the given keys exist."),
    ("expire", "Sets a key's time to live in seconds."),
    (
        "expireat",
        "Sets the Unix time in seconds at which a key expires.",
    ),
    (
        "expiretime",
        "Returns the Unix time in seconds at which a key expires.",
    ),
    (
        "failover",
        "Hands the master role over to one of its replicas.",
    ),
    ("fcall", "Invokes a library function."),
    ("fcall_ro", "Invokes a library function that may not write."),
    ("flushall", "Removes every key from every database."),
    ("flushdb", "Removes every key from the selected database."),
    (
        "function",
        "Container for the function library subcommands.",
    ),
    ("function|delete", "Removes a function library."),
    (
        "function|dump",
        "Serializes all function libraries into a payload.",
    ),
    ("function|flush", "Removes all function libraries."),
    ("function|help", "Describes the FUNCTION subcommands."),
    ("function|kill", "Stops the function that is running now."),
    ("function|list", "Describes the loaded function libraries."),
    (
        "function|load",
        "Loads a function library from source code.",
    ),
    (
        "function|restore",
        "Loads function libraries from a serialized payload.",
    ),
    (
        "function|stats",
        "Reports the running function and the available engines.",
    ),
    (
        "geoadd",
        "Adds places with longitude and latitude to a geospatial index.",
    ),
    (
        "geodist",
        "Measures the distance between two places of a geospatial index.",
    ),
    (
        "geohash",
        "Returns the geohash strings of places in a geospatial index.",
    ),
    (
        "geopos",
        "Returns the longitude and latitude of places in a geospatial index.",
    ),
    (
        "georadius",
        "Finds places within a radius of a point (older form).",
    ),
    (
        "georadius_ro",
        "Finds places within a radius of a point without storing (older form).",
    ),
    (
        "georadiusbymember",
        "Finds places within a radius of a member (older form).",
    ),
    (
        "georadiusbymember_ro",
        "Finds places within a radius of a member without storing (older form).",
    ),
    (
        "geosearch",
        "Finds places inside a circle or box in a geospatial index.",
    ),
    (
        "geosearchstore",
        "Finds places inside a circle or box and stores them in a key.",
    ),
    ("get", "Returns the string stored at a key."),
    ("getbit", "Returns one bit of a string."),
    ("getdel", "Returns a string value and removes its key."),
    (
        "getex",
        "Returns a string value and changes its expiration.",
    ),
    ("getrange", "Returns part of a string value."),
    (
        "getset",
        "Replaces a string value and returns the previous one.",
    ),
    ("hdel", "Removes fields from a hash."),
    (
        "hello",
        "Negotiates the protocol version and optionally authenticates and names the connection.",
    ),
    ("hexists", "Tells whether a hash has a field."),
    ("hget", "Returns the value of one hash field."),
    ("hgetall", "Returns every field and value of a hash."),
    ("hincrby", "Adds an integer to a hash field's value."),
    (
        "hincrbyfloat",
        "Adds a floating-point number to a hash field's value.",
    ),
    ("hkeys", "Returns the field names of a hash."),
    ("hlen", "Counts the fields of a hash."),
    ("hmget", "Returns the values of several hash fields."),
    ("hmset", "Sets several hash fields (older form)."),
    ("hrandfield", "Returns random fields of a hash."),
    ("hscan", "Walks the fields of a hash incrementally."),
    ("hset", "Sets hash fields, creating the hash if needed."),
    ("hsetnx", "Sets a hash field only when it is absent."),
    ("hstrlen", "Returns the length of a hash field's value."),
    ("hvals", "Returns the values of a hash."),
    ("incr", "Adds one to an integer string value."),
    ("incrby", "Adds an amount to an integer string value."),
    (
        "incrbyfloat",
        "Adds a floating-point amount to a numeric string value.",
    ),
    ("info", "Reports server state and statistics by section."),
    ("keys", "Lists the keys matching a glob pattern."),
    (
        "lastsave",
        "Returns the Unix time of the last successful save to disk.",
    ),
    (
        "latency",
        "Container for the latency monitoring subcommands.",
    ),
    (
        "latency|doctor",
        "Explains the recorded latency events in prose.",
    ),
    (
        "latency|graph",
        "Draws an ASCII graph of a latency event's history.",
    ),
    ("latency|help", "Describes the LATENCY subcommands."),
    (
        "latency|histogram",
        "Reports per-command latency distributions.",
    ),
    (
        "latency|history",
        "Returns the recorded samples of a latency event.",
    ),
    (
        "latency|latest",
        "Returns the latest sample of each latency event.",
    ),
    ("latency|reset", "Clears the recorded latency events."),
    (
        "lcs",
        "Finds the longest common subsequence of two strings.",
    ),
    ("lindex", "Returns the list element at an index."),
    (
        "linsert",
        "Inserts an element before or after another in a list.",
    ),
    ("llen", "Counts the elements of a list."),
    (
        "lmove",
        "Moves an element from one end of a list to an end of another.",
    ),
    (
        "lmpop",
        "Pops elements from the first non-empty of several lists.",
    ),
    (
        "lolwut",
        "Shows a piece of generative art and the server version.",
    ),
    (
        "lpop",
        "Removes and returns elements from the head of a list.",
    ),
    (
        "lpos",
        "Finds the positions of matching elements in a list.",
    ),
    ("lpush", "Adds elements to the head of a list."),
    (
        "lpushx",
        "Adds elements to the head of a list only if it exists.",
    ),
    ("lrange", "Returns a range of list elements."),
    ("lrem", "Removes elements equal to a value from a list."),
    ("lset", "Replaces the list element at an index."),
    ("ltrim", "Keeps only a range of a list's elements."),
    (
        "memory",
        "Container for the memory introspection subcommands.",
    ),
    ("memory|doctor", "Explains memory problems in prose."),
    ("memory|help", "Describes the MEMORY subcommands."),
    (
        "memory|malloc-stats",
        "Returns the allocator's own statistics.",
    ),
    (
        "memory|purge",
        "Asks the allocator to release unused memory.",
    ),
    ("memory|stats", "Reports how the server uses memory."),
    (
        "memory|usage",
        "Estimates the memory a key and its value take.",
    ),
    ("mget", "Returns the values of several keys."),
    ("migrate", "Moves keys to another server atomically."),
    ("module", "Container for the module subcommands."),
    ("module|help", "Describes the MODULE subcommands."),
    ("module|list", "Lists the loaded modules."),
    ("module|load", "Loads a module from a shared library."),
    (
        "module|loadex",
        "Loads a module with configuration and arguments.",
    ),
    ("module|unload", "Unloads a module."),
    (
        "monitor",
        "Streams every command the server processes to this connection.",
    ),
    ("move", "Moves a key to another database."),
    ("mset", "Sets several keys at once."),
    (
        "msetnx",
        "Sets several keys at once, only if none of them exists.",
    ),
    ("multi", "Starts queuing commands for a transaction."),
    (
        "object",
        "Container for the object introspection subcommands.",
    ),
    (
        "object|encoding",
        "Returns the internal encoding of a key's value.",
    ),
    (
        "object|freq",
        "Returns the access frequency counter of a key.",
    ),
    ("object|help", "Describes the OBJECT subcommands."),
    (
        "object|idletime",
        "Returns the seconds since a key was last accessed.",
    ),
    (
        "object|refcount",
        "Returns the reference count of a key's value.",
    ),
    ("persist", "Removes the expiration of a key."),
    ("pexpire", "Sets a key's time to live in milliseconds."),
    (
        "pexpireat",
        "Sets the Unix time in milliseconds at which a key expires.",
    ),
    (
        "pexpiretime",
        "Returns the Unix time in milliseconds at which a key expires.",
    ),
    ("pfadd", "Adds elements to a HyperLogLog."),
    (
        "pfcount",
        "Estimates the number of distinct elements in HyperLogLogs.",
    ),
    ("pfdebug", "Inspects the internals of a HyperLogLog."),
    ("pfmerge", "Merges HyperLogLogs into a destination key."),
    ("pfselftest", "Runs the HyperLogLog self test."),
    ("ping", "Checks that the server answers."),
    (
        "psetex",
        "Sets a string value with a time to live in milliseconds.",
    ),
    (
        "psubscribe",
        "Subscribes to channels matching glob patterns.",
    ),
    (
        "psync",
        "Asks a master for a partial or full replication stream.",
    ),
    (
        "pttl",
        "Returns a key's remaining time to live in milliseconds.",
    ),
    ("publish", "Sends a message to a channel."),
    (
        "pubsub",
        "Container for the pub/sub introspection subcommands.",
    ),
    (
        "pubsub|channels",
        "Lists the channels that have subscribers.",
    ),
    ("pubsub|help", "Describes the PUBSUB subcommands."),
    ("pubsub|numpat", "Counts the subscribed patterns."),
    ("pubsub|numsub", "Counts the subscribers of channels."),
    (
        "pubsub|shardchannels",
        "Lists the shard channels that have subscribers.",
    ),
    (
        "pubsub|shardnumsub",
        "Counts the subscribers of shard channels.",
    ),
    ("punsubscribe", "Stops listening to channel patterns."),
    ("quit", "Closes the connection after replying."),
    ("randomkey", "Returns a random key name."),
    (
        "readonly",
        "Lets this connection read from a cluster replica.",
    ),
    (
        "readwrite",
        "Stops this connection reading from a cluster replica.",
    ),
    (
        "rename",
        "Gives a key a new name, replacing any key of that name.",
    ),
    (
        "renamenx",
        "Gives a key a new name only if that name is free.",
    ),
    (
        "replconf",
        "Exchanges replication settings between replica and master.",
    ),
    (
        "replicaof",
        "Makes the server a replica of another one, or a master again.",
    ),
    ("reset", "Returns the connection to the state of a new one."),
    ("restore", "Creates a key from a serialized payload."),
    (
        "restore-asking",
        "Creates a key from a serialized payload during a cluster migration.",
    ),
    ("role", "Reports the replication role and its state."),
    (
        "rpop",
        "Removes and returns elements from the tail of a list.",
    ),
    ("rpoplpush", "Moves a list's tail to another list's head."),
    ("rpush", "Adds elements to the tail of a list."),
    (
        "rpushx",
        "Adds elements to the tail of a list only if it exists.",
    ),
    ("sadd", "Adds members to a set."),
    ("save", "Saves the dataset to disk, blocking until done."),
    ("scan", "Walks the keyspace incrementally."),
    ("scard", "Counts the members of a set."),
    ("script", "Container for the Lua script cache subcommands."),
    ("script|debug", "Sets the debug mode of the next scripts."),
    (
        "script|exists",
        "Tells which scripts are in the script cache.",
    ),
    ("script|flush", "Empties the script cache."),
    ("script|help", "Describes the SCRIPT subcommands."),
    ("script|kill", "Stops the script that is running now."),
    (
        "script|load",
        "Adds a script to the cache without running it.",
    ),
    (
        "sdiff",
        "Returns the members of the first set missing from the others.",
    ),
    ("sdiffstore", "Stores the difference of sets in a key."),
    ("select", "Switches the connection to another database."),
    (
        "set",
        "Stores a string value, with optional expiration and conditions.",
    ),
    ("setbit", "Sets or clears one bit of a string."),
    (
        "setex",
        "Sets a string value with a time to live in seconds.",
    ),
    (
        "setnx",
        "Sets a string value only if the key does not exist.",
    ),
    (
        "setrange",
        "Overwrites part of a string value at an offset.",
    ),
    ("shutdown", "Stops the server, optionally saving first."),
    ("sinter", "Returns the members common to all given sets."),
    ("sintercard", "Counts the members common to all given sets."),
    ("sinterstore", "Stores the intersection of sets in a key."),
    ("sismember", "Tells whether a value is a member of a set."),
    (
        "slaveof",
        "Makes the server a replica of another one, or a master again (old name).",
    ),
    ("slowlog", "Container for the slow log subcommands."),
    ("slowlog|get", "Returns entries of the slow log."),
    ("slowlog|help", "Describes the SLOWLOG subcommands."),
    ("slowlog|len", "Counts the entries of the slow log."),
    ("slowlog|reset", "Empties the slow log."),
    ("smembers", "Returns every member of a set."),
    (
        "smismember",
        "Tells for each of several values whether it is in a set.",
    ),
    ("smove", "Moves a member from one set to another."),
    (
        "sort",
        "Sorts a list, set or sorted set, optionally storing the result.",
    ),
    (
        "sort_ro",
        "Sorts a list, set or sorted set without storing.",
    ),
    ("spop", "Removes and returns random members of a set."),
    ("spublish", "Sends a message to a shard channel."),
    ("srandmember", "Returns random members of a set."),
    ("srem", "Removes members from a set."),
    ("sscan", "Walks the members of a set incrementally."),
    ("ssubscribe", "Subscribes to shard channels."),
    ("strlen", "Returns the length of a string value."),
    ("subscribe", "Subscribes to channels."),
    ("substr", "Returns part of a string value (old name)."),
    ("sunion", "Returns the members of all given sets."),
    ("sunionstore", "Stores the union of sets in a key."),
    ("sunsubscribe", "Stops listening to shard channels."),
    ("swapdb", "Exchanges the contents of two databases."),
    (
        "sync",
        "Asks a master for a full replication stream (old protocol).",
    ),
    (
        "time",
        "Returns the server's clock as seconds and microseconds.",
    ),
    (
        "touch",
        "Updates the access time of keys and counts the existing ones.",
    ),
    ("ttl", "Returns a key's remaining time to live in seconds."),
    ("type", "Names the type of the value stored at a key."),
    (
        "unlink",
        "Removes keys, freeing their memory in the background.",
    ),
    ("unsubscribe", "Stops listening to channels."),
    ("unwatch", "Forgets every key watched by this connection."),
    (
        "wait",
        "Waits until enough replicas have acknowledged the writes so far.",
    ),
    (
        "watch",
        "Makes the next transaction conditional on keys staying unchanged.",
    ),
    (
        "xack",
        "Marks stream entries as processed by a consumer group.",
    ),
    ("xadd", "Appends an entry to a stream."),
    (
        "xautoclaim",
        "Takes over entries pending too long in a consumer group, scanning from an id.",
    ),
    (
        "xclaim",
        "Takes over specific pending entries of a consumer group.",
    ),
    ("xdel", "Removes entries from a stream."),
    ("xgroup", "Container for the consumer group subcommands."),
    ("xgroup|create", "Creates a consumer group on a stream."),
    (
        "xgroup|createconsumer",
        "Adds a consumer to a consumer group.",
    ),
    (
        "xgroup|delconsumer",
        "Removes a consumer from a consumer group.",
    ),
    ("xgroup|destroy", "Removes a consumer group."),
    ("xgroup|help", "Describes the XGROUP subcommands."),
    (
        "xgroup|setid",
        "Moves a consumer group's last-delivered id.",
    ),
    (
        "xinfo",
        "Container for the stream introspection subcommands.",
    ),
    (
        "xinfo|consumers",
        "Describes the consumers of a consumer group.",
    ),
    ("xinfo|groups", "Describes the consumer groups of a stream."),
    ("xinfo|help", "Describes the XINFO subcommands."),
    ("xinfo|stream", "Describes a stream."),
    ("xlen", "Counts the entries of a stream."),
    (
        "xpending",
        "Reports the entries delivered but not yet acknowledged in a consumer group.",
    ),
    ("xrange", "Returns stream entries within an id range."),
    (
        "xread",
        "Reads new entries from streams, optionally waiting for them.",
    ),
    (
        "xreadgroup",
        "Reads entries from streams for a consumer group member, optionally waiting.",
    ),
    (
        "xrevrange",
        "Returns stream entries within an id range, newest first.",
    ),
    ("xsetid", "Changes a stream's last id and related metadata."),
    ("xtrim", "Shortens a stream by length or minimum id."),
    (
        "zadd",
        "Adds members with scores to a sorted set, or updates their scores.",
    ),
    ("zcard", "Counts the members of a sorted set."),
    ("zcount", "Counts sorted set members within a score range."),
    (
        "zdiff",
        "Returns the members of the first sorted set missing from the others.",
    ),
    (
        "zdiffstore",
        "Stores the difference of sorted sets in a key.",
    ),
    ("zincrby", "Adds to the score of a sorted set member."),
    (
        "zinter",
        "Returns the members common to all given sorted sets.",
    ),
    (
        "zintercard",
        "Counts the members common to all given sorted sets.",
    ),
    (
        "zinterstore",
        "Stores the intersection of sorted sets in a key.",
    ),
    (
        "zlexcount",
        "Counts sorted set members within a lexicographic range.",
    ),
    (
        "zmpop",
        "Pops members from the first non-empty of several sorted sets.",
    ),
    (
        "zmscore",
        "Returns the scores of several sorted set members.",
    ),
    (
        "zpopmax",
        "Removes and returns the highest-scored members of a sorted set.",
    ),
    (
        "zpopmin",
        "Removes and returns the lowest-scored members of a sorted set.",
    ),
    ("zrandmember", "Returns random members of a sorted set."),
    (
        "zrange",
        "Returns sorted set members by rank, score or lexicographic range.",
    ),
    (
        "zrangebylex",
        "Returns sorted set members within a lexicographic range (older form).",
    ),
    (
        "zrangebyscore",
        "Returns sorted set members within a score range (older form).",
    ),
    ("zrangestore", "Stores a range of a sorted set in a key."),
    (
        "zrank",
        "Returns the rank of a member in a sorted set, lowest score first.",
    ),
    ("zrem", "Removes members from a sorted set."),
    (
        "zremrangebylex",
        "Removes sorted set members within a lexicographic range.",
    ),
    (
        "zremrangebyrank",
        "Removes sorted set members within a rank range.",
    ),
    (
        "zremrangebyscore",
        "Removes sorted set members within a score range.",
    ),
    (
        "zrevrange",
        "Returns sorted set members by rank, highest score first (older form).",
    ),
    (
        "zrevrangebylex",
        "Returns sorted set members within a lexicographic range, in reverse (older form).",
    ),
    (
        "zrevrangebyscore",
        "Returns sorted set members within a score range, highest first (older form).",
    ),
    (
        "zrevrank",
        "Returns the rank of a member in a sorted set, highest score first.",
    ),
    (
        "zscan",
        "Walks the members and scores of a sorted set incrementally.",
    ),
    ("zscore", "Returns the score of a sorted set member."),
    ("zunion", "Returns the members of all given sorted sets."),
    ("zunionstore", "Stores the union of sorted sets in a key."),
];

/// The summary of a command by full name (`get`, `client|list`).
pub fn summary(full_name: &str) -> Option<&'static str> {
    SUMMARIES
        .binary_search_by(|(name, _)| name.cmp(&full_name))
        .ok()
        .map(|i| SUMMARIES[i].1)
}

/// Redis's documentation flags: `syscmd` for commands meant for servers and tools rather than
/// applications, `deprecated` for commands kept for compatibility.
pub fn doc_flags(full_name: &str) -> &'static [&'static str] {
    match full_name {
        "debug" | "pfdebug" | "pfselftest" | "replconf" | "restore-asking" => &["syscmd"],
        _ if deprecation(full_name).is_some() => &["deprecated"],
        _ => &[],
    }
}

/// For a deprecated command: the version that deprecated it and what to use instead (verdis's
/// wording).
pub fn deprecation(full_name: &str) -> Option<(&'static str, &'static str)> {
    let facts = match full_name {
        "brpoplpush" => ("6.2.0", "`BLMOVE` with `RIGHT` and `LEFT`"),
        "cluster|slaves" => ("5.0.0", "`CLUSTER REPLICAS`"),
        "cluster|slots" => ("7.0.0", "`CLUSTER SHARDS`"),
        "georadius" => ("6.2.0", "`GEOSEARCH` or `GEOSEARCHSTORE` with `BYRADIUS`"),
        "georadius_ro" => ("6.2.0", "`GEOSEARCH` with `BYRADIUS`"),
        "georadiusbymember" => (
            "6.2.0",
            "`GEOSEARCH` or `GEOSEARCHSTORE` with `BYRADIUS` and `FROMMEMBER`",
        ),
        "georadiusbymember_ro" => ("6.2.0", "`GEOSEARCH` with `BYRADIUS` and `FROMMEMBER`"),
        "getset" => ("6.2.0", "`SET` with `GET`"),
        "hmset" => ("4.0.0", "`HSET` with several field-value pairs"),
        "rpoplpush" => ("6.2.0", "`LMOVE` with `RIGHT` and `LEFT`"),
        "slaveof" => ("5.0.0", "`REPLICAOF`"),
        "substr" => ("2.0.0", "`GETRANGE`"),
        "zrangebylex" => ("6.2.0", "`ZRANGE` with `BYLEX`"),
        "zrangebyscore" => ("6.2.0", "`ZRANGE` with `BYSCORE`"),
        "zrevrange" => ("6.2.0", "`ZRANGE` with `REV`"),
        "zrevrangebylex" => ("6.2.0", "`ZRANGE` with `REV` and `BYLEX`"),
        "zrevrangebyscore" => ("6.2.0", "`ZRANGE` with `REV` and `BYSCORE`"),
        _ => return None,
    };
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::table_data::COMMANDS;

    #[test]
    fn sorted_and_complete() {
        assert!(SUMMARIES.windows(2).all(|w| w[0].0 < w[1].0));
        let mut count = 0;
        for cmd in COMMANDS {
            assert!(summary(cmd.name).is_some(), "{}", cmd.name);
            count += 1;
            for sub in cmd.subcommands {
                assert!(summary(sub.name).is_some(), "{}", sub.name);
                count += 1;
            }
        }
        assert_eq!(count, SUMMARIES.len());
        assert_eq!(COMMANDS.len(), 240);
    }
}
