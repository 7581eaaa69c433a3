package builder

// ScratchPrefix names a build's work directories (internal/scratch), which
// live beside the output so that the finished artifact is renamed, not
// copied, into place; the next build there sweeps a killed build's.
const ScratchPrefix = ".hyperbuild-"
