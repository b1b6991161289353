/**
 * Preloaded into the apps that `npm run dev` starts (`node -r`): when the launcher dies without
 * stopping them (SIGKILL, a crash), the IPC channel closes and the app shuts down as on SIGTERM.
 */
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
