//! `transport = 'batch_files'`: batches for offline runners such as
//! `vllm run-batch -i in.jsonl -o out.jsonl --model M`, file to file.
//!
//! For the first phase with requests the journal does not answer, each
//! batch file (the same lines as `transport = 'batch'` uploads) is written
//! to `batch_dir` as `<phase>-<id>.input.jsonl`, unless
//! `<phase>-<id>.output.jsonl` is already there: then that file's lines
//! are read back (joined on `custom_id`, journaled as sync replies), and
//! lines without a usable answer go to a new input file. The statement
//! stops with a message naming the files to run and the command; the
//! re-run of the same statement picks the results up and goes on to the
//! next phase. `<id>` is derived from the file's requests, so a re-run
//! finds the same names.

use crate::generate::batched::{File, files, hex, record_key};
use crate::generate::journaled::{CallLoop, Job, PhaseRun};
use crate::llm::runner::{Call, Parser};
use crate::{Error, Result};

impl CallLoop<'_> {
    /// Writes or reads the phase's batch files. See the module docs.
    pub(super) fn call_files<R: Call, T: Send + 'static>(
        &mut self,
        phase: &str,
        jobs: &[Job<R>],
        pending: &[usize],
        parse: Parser<T, R>,
        run: &mut PhaseRun<T>,
    ) -> Result<()> {
        let backend = self.backend.clone();
        let api = backend.batch_api().ok_or_else(|| {
            Error::invalid_hint(
                format!("transport = 'batch_files' needs the openai backend (it writes its request bodies), not {}", backend.name()),
                "add backend = 'openai' and model = '...'",
            )
        })?;
        let dir = self.policy.batch_dir.clone().ok_or_else(|| {
            Error::invalid_hint(
                "transport = 'batch_files' needs batch_dir",
                "add batch_dir = 'some/dir' to WITH (...): the request files are written there and the result files read from there",
            )
        })?;
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let identity = backend.journal_identity();
        let mut todo = pending.to_vec();
        let mut written = Vec::new();
        for _round in 0..=self.policy.retries {
            if todo.is_empty() || !written.is_empty() {
                break;
            }
            let mut next = Vec::new();
            for file in files(api, jobs, &todo, self.policy.batch_max_requests)? {
                let id = &hex(&record_key(&identity, phase, &file.ids))[..16];
                let input = dir.join(format!("{phase}-{id}.input.jsonl"));
                let output = dir.join(format!("{phase}-{id}.output.jsonl"));
                if output.exists() {
                    let text =
                        std::fs::read_to_string(&output).map_err(|e| Error::io(&output, e))?;
                    let source = format!("{}", output.display());
                    let missed = self.ingest_text(api, jobs, &file, &text, &source, &parse, run)?;
                    let usable = file.jobs.len() - missed.len();
                    self.ctx.progress.advance(usable as u64);
                    next.extend(missed.into_iter().map(|(i, _)| i));
                } else {
                    write_input(&input, &file)?;
                    written.push((input, output, file.jobs.len()));
                }
            }
            todo = next;
        }
        if written.is_empty() {
            // Every file was read; what is still missing failed every round.
            for i in todo {
                run.stats.failed += 1;
                self.fail(
                    phase,
                    &jobs[i].what,
                    "no usable answer in the batch output files".into(),
                );
            }
            return Ok(());
        }
        run.unfinished += written.iter().map(|w| w.2 as u64).sum::<u64>();
        let list: Vec<String> = written
            .iter()
            .map(|(i, o, n)| {
                format!(
                    "vllm run-batch -i {} -o {} --model <model>   # {n} requests",
                    i.display(),
                    o.display()
                )
            })
            .collect();
        Err(Error::Llm {
            message: format!(
                "the {phase} phase needs {} request(s), written to {} batch file(s) in {}; run them, then re-run the same statement",
                run.unfinished,
                written.len(),
                dir.display()
            ),
            hint: Some(format!(
                "with vLLM: {}; any tool writing OpenAI batch output lines (custom_id, response.status_code, response.body) to the .output.jsonl file works",
                list.join("; ")
            )),
        })
    }
}

/// Writes an input file (a fresh temporary sibling, then renamed into
/// place: [`crate::util::write_output`]).
fn write_input(path: &std::path::Path, file: &File) -> Result<()> {
    crate::util::write_output(path, |w| {
        std::io::Write::write_all(w, &file.jsonl)?;
        Ok(0)
    })
    .map(|_| ())
}
