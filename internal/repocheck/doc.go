// Package repocheck holds tests about the repository as a whole rather than
// about one package: which packages may import which (importrules_test.go),
// so the layout the packages' docs describe cannot erode one import at a
// time, and that no Go file points at a path or document outside the
// repository (hygiene_test.go). It has no code of its own; `make unit` runs
// its tests with the rest.
package repocheck
