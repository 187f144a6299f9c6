package game

import (
	"bytes"
	"encoding/json"

	"github.com/google/uuid"
)

// Command types: immediate actions, carried out when received rather than at the next
// turn.
const (
	CommandRenameRace = "rename_race" // {"type":"rename_race","name":"NewName"}
	CommandMessage    = "message"     // {"type":"message","text":"...","to":"RaceName"} (to: optional)
)

// CommandResult is the answer to a command: its type and what changed.
type CommandResult struct {
	Type     string `json:"type"`
	Turn     int    `json:"turn"`
	RaceName string `json:"raceName,omitempty"` // the race's name after the command
	Sent     bool   `json:"sent,omitempty"`     // a message was recorded
}

// rawCommand is a command as a player writes it; unknown fields are refused.
type rawCommand struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Text string `json:"text"`
	To   string `json:"to"`
}

// Command carries out one command of actor now. Errors: Forbidden for an unknown
// actor, Conflict once the game finished (or a race sent too many messages this turn),
// Invalid for a malformed or unknown command, a bad or taken race name, an empty or
// too long message, an unknown recipient.
func (g *Game) Command(actor uuid.UUID, raw json.RawMessage) (*CommandResult, error) {
	r := g.race(actor)
	if r == nil {
		return nil, errorf(Forbidden, "actor %s is not a race of this game", actor)
	}
	var c rawCommand
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, errorf(Invalid, "command is not a valid command object: %v", err)
	}
	if g.Finished {
		return nil, errorf(Conflict, "the game finished at turn %d", g.Turn)
	}
	res := &CommandResult{Type: c.Type, Turn: g.Turn}
	switch c.Type {
	case CommandRenameRace:
		if why := validName(c.Name); why != "" {
			return nil, errorf(Invalid, "%s", why)
		}
		if other := g.raceByName(c.Name); other != nil && other != r {
			return nil, errorf(Invalid, "race name %q is taken", c.Name)
		}
		r.Name = c.Name
		res.RaceName = r.Name
	case CommandMessage:
		if err := g.sendMessage(r, c.To, c.Text); err != nil {
			return nil, err
		}
		res.RaceName, res.Sent = r.Name, true
	case "":
		return nil, errorf(Invalid, "command type is required")
	default:
		return nil, errorf(Invalid, "unknown command type %q (want %s or %s)", c.Type, CommandRenameRace, CommandMessage)
	}
	return res, nil
}
