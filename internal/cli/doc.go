// Package cli holds what hyperbuild and hyperboot share at their edge:
// exit statuses carried by errors, terminal detection, the one place
// where an error is printed, and SIGINT/SIGTERM as a cancelled context
// whose cause carries the 128+signal status. Commands return errors; only
// main reports.
package cli
