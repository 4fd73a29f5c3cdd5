-- Pre-signed webhook bodies, one per request (so every request is a new webhookId, not a duplicate).
-- BODIES: file of "signature<TAB>body" lines. Closed loop (max throughput); openloop.py paces.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies, sigs, i, n = {}, {}, 0, 0

function init(args)
  for line in io.lines(os.getenv("BODIES")) do
    local tab = line:find("\t", 1, true)
    n = n + 1
    sigs[n] = line:sub(1, tab - 1)
    bodies[n] = line:sub(tab + 1)
  end
end

function request()
  i = i % n + 1
  wrk.headers["x-ghl-signature"] = sigs[i]
  return wrk.format(nil, nil, nil, bodies[i])
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, "non2xx": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), non2xx, errors))
end
