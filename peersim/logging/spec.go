// Package logging filters the peer's log/slog records by logger name and
// level with a Fabric logging specification (FABRIC_LOGGING_SPEC's syntax),
// changeable while the peer runs (the operations port's /logspec).
//
// A logger's name is the value of its "component" attribute (chaincode,
// launcher, ledger, endorser, deliver, ...); records without one are the
// default logger's. A specification is
//
//	[<logger>[,<logger>...]=]<level>[:[<logger>[,<logger>...]=]<level>...]
//
// with levels FATAL, PANIC, ERROR, WARNING (or WARN), INFO and DEBUG in any
// case: a level alone is the default, "name=level" overrides it for the
// named loggers and, as in Fabric, for the loggers below them
// ("chaincode=debug" covers "chaincode.server"). FATAL and PANIC are ERROR:
// slog has no level above it.
package logging

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// Spec is a parsed logging specification.
type Spec struct {
	text      string
	def       slog.Level
	overrides map[string]slog.Level
}

// DefaultSpec is what the peer logs at when none is given: INFO.
const DefaultSpec = "info"

// ParseSpec parses a Fabric logging specification.
func ParseSpec(text string) (Spec, error) {
	s := Spec{text: text, def: slog.LevelInfo, overrides: map[string]slog.Level{}}
	if strings.TrimSpace(text) == "" {
		s.text = DefaultSpec
		return s, nil
	}
	for _, field := range strings.Split(text, ":") {
		names, level, hasNames := strings.Cut(field, "=")
		if !hasNames {
			level, names = names, ""
		}
		lv, err := parseLevel(level)
		if err != nil {
			return Spec{}, fmt.Errorf("logging spec %q: %w", text, err)
		}
		if !hasNames {
			s.def = lv
			continue
		}
		for _, n := range strings.Split(names, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				return Spec{}, fmt.Errorf("logging spec %q: empty logger name in %q: write name=level, e.g. chaincode=debug", text, field)
			}
			s.overrides[n] = lv
		}
	}
	return s, nil
}

func parseLevel(text string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(text)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR", "PANIC", "FATAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %q: want one of FATAL, PANIC, ERROR, WARNING, INFO, DEBUG", text)
}

// String is the specification as given (DefaultSpec for an empty one).
func (s Spec) String() string { return s.text }

// Level is the level the named logger logs at: the override of the name or
// of its nearest dotted parent, else the default.
func (s Spec) Level(name string) slog.Level {
	for n := name; n != ""; {
		if lv, ok := s.overrides[n]; ok {
			return lv
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return s.def
}

// Names are the logger names the specification overrides, sorted.
func (s Spec) Names() []string {
	names := make([]string, 0, len(s.overrides))
	for n := range s.overrides {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
