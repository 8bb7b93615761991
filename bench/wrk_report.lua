-- wrk reports in its own text format; this prints one JSON line at the end instead, for
-- bench/load.py. Latencies are in microseconds (wrk's unit); "non2xx" counts responses
-- with a status outside 200-399 (a page that answers with an error must not look fast).
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "requests_per_second": %.3f, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "non2xx": %d}}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.bytes, e.connect, e.read, e.write, e.timeout, e.status))
end
