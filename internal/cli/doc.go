// Package cli holds what hyperbuild and hyperboot share at their edge:
// exit statuses carried by errors, terminal detection, and the one place
// where an error is printed. Commands return errors; only main reports.
package cli
