//! `verdis`: tools around the reference server. `verdis diff` checks another Redis-compatible
//! server against verdis (see `verdis diff --help`).

use std::net::{SocketAddr, ToSocketAddrs};
use verdis::oracle::{run_diff, run_replay, DiffOptions};

const USAGE: &str = "usage:
  verdis diff --target HOST:PORT [--seed N] [--ops N] [--families strings,keyspace,...]
              [--round N] [--error-prefix]
  verdis diff --target HOST:PORT --replay FILE [--error-prefix]

Runs the same commands on an in-process verdis and on the target (which it FLUSHALLs first: never
point it at a server holding data you need) and reports where the replies differ. Exit status 1
on any divergence; the last line is `N passed, N failed` (rounds, or commands with --replay).";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("verdis: {e}\n\n{USAGE}");
            2
        }
    });
}

fn value<'a>(args: &'a [String], i: usize, flag: &str) -> Result<&'a str, String> {
    args.get(i + 1).map(|s| s.as_str()).ok_or_else(|| format!("{flag} needs a value"))
}

fn run(args: &[String]) -> Result<i32, String> {
    if args.first().map(|s| s.as_str()) != Some("diff") {
        return Err("unknown or missing subcommand".into());
    }
    let mut target: Option<SocketAddr> = None;
    let mut opts = DiffOptions {
        target: SocketAddr::from(([127, 0, 0, 1], 6379)),
        seed: 1,
        ops: 1000,
        families: Vec::new(),
        error_prefix: false,
        round_ops: 100,
    };
    let mut replay = None;
    let mut i = 1;
    while i < args.len() {
        let flag = args[i].as_str();
        match flag {
            "--target" => {
                let text = value(args, i, flag)?;
                target = text.to_socket_addrs().map_err(|e| format!("--target {text}: {e}"))?.next();
            }
            "--seed" => opts.seed = value(args, i, flag)?.parse().map_err(|_| "--seed takes a number")?,
            "--ops" => opts.ops = value(args, i, flag)?.parse().map_err(|_| "--ops takes a number")?,
            "--round" => opts.round_ops = value(args, i, flag)?.parse().map_err(|_| "--round takes a number")?,
            "--families" => opts.families = value(args, i, flag)?.split(',').map(|s| s.trim().to_string()).collect(),
            "--replay" => replay = Some(value(args, i, flag)?.to_string()),
            "--error-prefix" => {
                opts.error_prefix = true;
                i += 1;
                continue;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            other => return Err(format!("unknown option {other}")),
        }
        i += 2;
    }
    opts.target = target.ok_or("--target is required")?;
    let report = match &replay {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            run_replay(&opts, &text)
        }
        None => run_diff(&opts),
    }
    .map_err(|e| format!("talking to {}: {e}", opts.target))?;
    for d in &report.divergences {
        println!("DIVERGENCE at: {}\n  verdis: {}\n  target: {}\n  script:", d.command, d.verdis, d.target);
        for line in &d.script {
            println!("    {line}");
        }
    }
    println!("{} passed, {} failed", report.passed, report.failed);
    Ok(if report.failed == 0 { 0 } else { 1 })
}
