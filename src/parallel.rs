//! The one place lookout splits work across cores.
//!
//! Parsing, PromQL checks and emitting are independent per item, so each
//! stage hands every core one contiguous chunk and keeps results in input
//! order, which keeps output deterministic. Scoped threads, no pool: each
//! stage runs once per command.

/// Maps `f` over one chunk of `items` per core, in parallel; returns one
/// result per chunk, in order. Runs inline below `min_parallel` items.
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
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|chunk| scope.spawn(move || f(chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
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
    }
}
