package game

import (
	"strings"
	"unicode"

	"github.com/google/uuid"
)

// Limits on messages, which are kept in state.json until the next report shows them.
const (
	MaxMessageLen     = 2000 // runes
	MaxMessagesPerRun = 100  // messages one race may send during one turn
)

// Message is a text from one race to another (To set) or to all (To zero), sent
// during turn Turn and shown in the reports of turn Turn+1.
type Message struct {
	Turn int       `json:"turn"`
	From uuid.UUID `json:"from"`
	To   uuid.UUID `json:"to,omitempty"`
	Text string    `json:"text"`
}

// sendMessage records a message from r during the open turn. to names the recipient
// race (case-insensitive); empty sends to every race.
func (g *Game) sendMessage(r *Race, to, text string) error {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return errorf(Invalid, "text is required")
	case len([]rune(text)) > MaxMessageLen:
		return errorf(Invalid, "text must be at most %d characters", MaxMessageLen)
	case strings.IndexFunc(text, func(c rune) bool { return !unicode.IsPrint(c) && c != '\n' && c != '\t' }) >= 0:
		return errorf(Invalid, "text must not contain control characters")
	}
	sent := 0
	for _, m := range g.Messages {
		if m.From == r.ID && m.Turn == g.Turn {
			sent++
		}
	}
	if sent >= MaxMessagesPerRun {
		return errorf(Conflict, "at most %d messages per turn", MaxMessagesPerRun)
	}
	m := Message{Turn: g.Turn, From: r.ID, Text: text}
	if to != "" {
		dst := g.raceByName(to)
		if dst == nil {
			return errorf(Invalid, "unknown race %q", to)
		}
		m.To = dst.ID
	}
	g.Messages = append(g.Messages, m)
	return nil
}

// pruneMessages drops messages that no report will show any more: at the generation of
// turn T+1 only those sent during T are kept (older reports live in turn snapshots).
func (g *Game) pruneMessages() {
	kept := g.Messages[:0]
	for _, m := range g.Messages {
		if m.Turn == g.Turn {
			kept = append(kept, m)
		}
	}
	g.Messages = kept
	if len(g.Messages) == 0 {
		g.Messages = nil
	}
}
