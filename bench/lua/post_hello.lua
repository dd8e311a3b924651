-- POST a one-result JSON body to the bench's hello view (the same size as a probe result).
wrk.method = "POST"
wrk.body = '{"ok": true, "latency_ms": 83, "location": "us-east", "message": "bench"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer not-checked-by-hello"
