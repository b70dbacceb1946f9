//! The `dimse` command-line tool.

fn main() {
    println!("dimse: the CLI arrives with the core; see README.md");
}
