"""arq workers: one module of jobs per context, wired in `workers.settings`."""
