"""``make bench``: the blog under a bounded load on loopback, as a table of requests/s and latencies."""
