"""The runtime: compiled functions and modules (:mod:`.compiled`), the executor that
specializes, optimizes and runs their graphs (:mod:`.executor`), and the choice of optimizer
and fusion compiler it uses (:mod:`.config`). The frontends and serialization build on it."""
