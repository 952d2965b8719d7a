//! The one place lookout splits work across cores.
//!
//! Parsing, PromQL checks, lowering and emitting are independent per item,
//! so each stage cuts its items into contiguous chunks that every core
//! takes in turn, and keeps results in input order, which keeps output
//! deterministic. Scoped threads, no pool: each stage runs once per
//! command.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Chunks per core: a core whose chunks run fast takes more, rather than
/// idling while another finishes one slow half.
const CHUNKS_PER_THREAD: usize = 4;

/// Maps `f` over chunks of `items` on every core; returns one result per
/// chunk, in order. Runs inline, as one chunk, below `min_parallel` items.
pub fn map_chunks<T, R, F>(items: &[T], min_parallel: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads == 1 || items.len() < min_parallel.max(2) {
        return vec![f(items)];
    }
    map_sized(items, items.len().div_ceil(threads * CHUNKS_PER_THREAD), f)
}

/// Maps `f` over each item on every core, one item at a time: for a few
/// items that each take seconds (a child process), where two in one
/// chunk would leave a core idle. Put the longest first.
pub fn map_singly<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    map_sized(items, 1, |chunk: &[T]| f(&chunk[0]))
}

/// Maps `f` over each item on `threads` threads, one item at a time: for
/// work that waits on a server, where the server's load, not the cores,
/// sets how many run at once.
pub fn map_bounded<T, R, F>(items: &[T], threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    map_on(items, 1, threads.max(1), |chunk: &[T]| f(&chunk[0]))
}

fn map_sized<T, R, F>(items: &[T], size: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    map_on(items, size, threads, f)
}

fn map_on<T, R, F>(items: &[T], size: usize, threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let chunks: Vec<&[T]> = items.chunks(size).collect();
    let next = AtomicUsize::new(0);
    let (f, chunks, next) = (&f, &chunks, &next);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(chunks.len()))
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(i) else {
                            return done;
                        };
                        done.push((i, f(chunk)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

/// Maps `f` over each item on every core; the results in input order, in
/// one vector sized once (growing it item by item copied, and page-faulted
/// in fresh memory, what it had so far at every doubling).
pub fn map_each<T, R, F>(items: &[T], min_parallel: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let chunks = map_chunks(items, min_parallel, |chunk| {
        chunk.iter().map(&f).collect::<Vec<R>>()
    });
    let mut all = Vec::with_capacity(items.len());
    for chunk in chunks {
        all.extend(chunk);
    }
    all
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_input_order() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled: Vec<u32> =
            super::map_chunks(&items, 2, |c| c.iter().map(|x| x * 2).collect::<Vec<_>>())
                .into_iter()
                .flatten()
                .collect();
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(super::map_each(&items, 2, |x| x * 2), doubled);
    }
}
