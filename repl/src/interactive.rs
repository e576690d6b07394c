//! The interactive shell: rustyline with multi-line statements, history
//! appended after every entry (a closed terminal loses nothing), Tab
//! completion, and Ctrl-C cancelling the running statement, not the shell.

use std::path::PathBuf;

use valence::Database;

use crate::shell::{Shell, Stop};

/// Runs the prompt loop; `before` runs once the Ctrl-C handler is in place
/// (`-init`, `-cmd`). Returns the exit status.
pub fn repl(shell: &mut Shell, before: impl FnOnce(&mut Shell)) -> anyhow::Result<u8> {
    use rustyline::error::ReadlineError;
    let mut rl = rustyline::Editor::<ReplHelper, rustyline::history::DefaultHistory>::new()?;
    rl.set_helper(Some(ReplHelper {
        db: shell.db.clone(),
    }));
    // After the editor: rustyline installs its own SIGINT handler when it is
    // created; ours must win so Ctrl-C during a statement cancels it (at the
    // prompt, raw mode turns Ctrl-C into a key, not a signal).
    shell.signals.set_interactive(true);
    crate::signal::install(&shell.signals);
    shell.interactive = true;
    shell.out.per_statement = true;
    before(shell);
    let history = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".valence_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    crate::output::report(&format!(
        "valence {} — type .help for help, .quit to leave; statements end with ;",
        env!("CARGO_PKG_VERSION")
    ));
    let mut line_no = 0usize;
    loop {
        match rl.readline("valence> ") {
            Ok(input) => {
                if !input.trim().is_empty() {
                    let _ = rl.add_history_entry(input.as_str());
                    if let Some(h) = &history {
                        // Appended now, not at exit: a closed terminal loses nothing.
                        let _ = rl.append_history(h);
                    }
                }
                for line in input.lines() {
                    // Lines count from the start of the statement being typed.
                    if shell.buffer_is_empty() {
                        line_no = 0;
                    }
                    line_no += 1;
                    match shell.feed_line(line, line_no, "<input>") {
                        Ok(()) => {}
                        Err(Stop::Exit(n)) => return Ok(n),
                        // Errors are printed; the shell goes on.
                        Err(Stop::Error | Stop::Interrupted) => {
                            shell.clear_buffer();
                            break;
                        }
                    }
                }
                if !shell.buffer_is_empty()
                    && let Err(Stop::Exit(n)) = shell.flush_buffer("<input>")
                {
                    return Ok(n);
                }
            }
            Err(ReadlineError::Interrupted) => {
                shell.clear_buffer();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(0)
}

/// Multi-line editing: Enter continues the statement until it ends with `;`.
/// Tab completes keywords, dot-commands, stored names, file paths in quotes
/// and modality names in TYPES.
#[derive(rustyline::Helper, rustyline::Hinter, rustyline::Highlighter)]
struct ReplHelper {
    db: Database,
}

impl rustyline::completion::Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(crate::complete::candidates(Some(&self.db), line, pos))
    }
}

impl rustyline::validate::Validator for ReplHelper {
    fn validate(
        &self,
        ctx: &mut rustyline::validate::ValidationContext<'_>,
    ) -> rustyline::Result<rustyline::validate::ValidationResult> {
        use rustyline::validate::ValidationResult;
        let input = ctx.input();
        if input.trim_start().starts_with('.')
            || input.trim().is_empty()
            || valence::is_complete(input)
        {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}
