"""`make bench`: bank-scale data, measured figures, BENCHMARKS.md (see bench/run.py). Not part of `make test`."""
