"""FIT tooling for tests, benchmarks and the sample data: never part of the runback package.

- :mod:`tests.fitkit.encode`: writes FIT files (activities, any message) from tables;
- :mod:`tests.fitkit.fitparse_decoder`: decodes FIT files with fitparse, the reference the
  fast decoder (:mod:`runback.io.fit_fast`) is tested against.
"""
