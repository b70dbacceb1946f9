//! The `dimse` command-line tool: a Display System SCP (`serve`), an N-GET client (`get`),
//! C-ECHO (`echo`), a poller for a fleet of displays (`poll`) and an in-memory demo
//! (`demo`).

mod cli;

use clap::{Parser, Subcommand};

/// DICOM N-GET for display QA: serve a Display System, read one, poll many.
#[derive(Debug, Parser)]
#[command(name = "dimse", version, about)]
struct Cli {
    /// Log more (-v: info, -vv: debug, -vvv: trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Display System instance (the demo display unless --config is given).
    Serve(cli::serve::ServeArgs),
    /// N-GET an instance (the Display System by default) and print the data set.
    Get(cli::get::GetArgs),
    /// C-ECHO an SCP.
    Echo(cli::get::EchoArgs),
    /// N-GET the Display System of every device in a list, concurrently.
    Poll(cli::poll::PollArgs),
    /// A fleet of Display System SCPs in one process, with troublesome ones, from a seed.
    Simulate(cli::simulate::SimulateArgs),
    /// Print the DICOM Conformance Statement (PS3.2) of the SCP `serve` runs with a
    /// configuration, generated from the same policy objects.
    Conformance(cli::conformance::ConformanceArgs),
    /// Test a live SCP: liveness, generated sessions (a failing one shrunk to a replay
    /// file), slow peers; graded against what the standard allows.
    Check(cli::check::CheckArgs),
    /// Run a trace recorded by `serve --record` through the core again and print what it did.
    Replay(cli::replay::ReplayArgs),
    /// An SCU core and an SCP core in memory, printing every PDU and event.
    Demo,
}

fn main() {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        None | Some(Command::Demo) => {
            cli::demo::run();
            Ok(())
        }
        Some(Command::Replay(a)) => cli::replay::replay(a),
        Some(Command::Conformance(a)) => cli::conformance::conformance(a),
        Some(Command::Check(a)) => cli::check::check(a),
        Some(command) => {
            // With one CPU to run on (the machine's, or the affinity mask's: `taskset`, a
            // container's cpuset), a multi-thread runtime's hand-offs between workers buy
            // nothing; a current-thread runtime does the same work with less (about 7% fewer
            // instructions per N-GET served, see BENCHMARKS.md).
            let one_cpu = std::thread::available_parallelism().is_ok_and(|n| n.get() == 1);
            let mut builder = if one_cpu {
                tokio::runtime::Builder::new_current_thread()
            } else {
                tokio::runtime::Builder::new_multi_thread()
            };
            // The server keeps its time on dimse-tokio's timer thread: without tokio's time
            // driver, no park of the runtime scans a timer wheel or reads the clock (about
            // 450 instructions per N-GET served, see BENCHMARKS.md). The other commands use
            // `tokio::time`.
            builder.enable_io();
            if !matches!(command, Command::Serve(_)) {
                builder.enable_time();
            }
            let runtime = builder.build();
            let runtime = match runtime {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("dimse: cannot start the runtime: {e}");
                    std::process::exit(1);
                }
            };
            runtime.block_on(async move {
                match command {
                    Command::Serve(a) => cli::serve::serve(a).await,
                    Command::Get(a) => cli::get::get(a).await,
                    Command::Echo(a) => cli::get::echo(a).await,
                    Command::Simulate(a) => cli::simulate::simulate(a).await,
                    Command::Poll(a) => cli::poll::poll(a).await,
                    Command::Demo
                    | Command::Replay(_)
                    | Command::Conformance(_)
                    | Command::Check(_) => Ok(()),
                }
            })
        }
    };
    if let Err(f) = result {
        eprintln!("dimse: {}", f.message);
        std::process::exit(f.code);
    }
}
