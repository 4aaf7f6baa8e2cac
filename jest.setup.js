// Service logs stay quiet in tests unless a developer asks for them.
process.env.LOG_LEVEL ??= 'warn';
