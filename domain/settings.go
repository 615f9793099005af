package domain

import (
	"fmt"
	"time"
)

// Settings are the workspace's choices that reports apply.
type Settings struct {
	// BaseCurrency is the ISO 4217 code money is reported in. Exchange
	// rates give how many units of it one unit of another currency buys.
	BaseCurrency string
	// Timezone is the IANA zone that periods' days and months are read in.
	Timezone string
	// ContactPressureCap is how many outbound touches a contact may get in
	// a day, from all teams together, before it is saturated.
	ContactPressureCap int
	UpdatedAt          time.Time
}

// DefaultSettings are the settings of a new workspace.
var DefaultSettings = Settings{BaseCurrency: BaseCurrency, Timezone: "UTC", ContactPressureCap: 5}

// Location is the settings' timezone.
func (s Settings) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return nil, fmt.Errorf("settings: timezone %q: %w", s.Timezone, err)
	}
	return loc, nil
}

// SettingsPatch changes settings; nil fields stay as they are.
type SettingsPatch struct {
	BaseCurrency       *string
	Timezone           *string
	ContactPressureCap *int
}

// Validate reports every problem of p, each naming its field.
func (p SettingsPatch) Validate() error {
	var problems Problems
	if p.BaseCurrency != nil && !IsCurrency(*p.BaseCurrency) {
		problems = append(problems, FieldError{"baseCurrency", currencyMessage(*p.BaseCurrency)})
	}
	if p.Timezone != nil {
		// time.LoadLocation takes "" and "Local" for the server's own
		// zone, which is not a choice a workspace can share.
		if _, err := time.LoadLocation(*p.Timezone); err != nil || *p.Timezone == "" || *p.Timezone == "Local" {
			problems = append(problems, FieldError{"timezone", fmt.Sprintf("%q is not an IANA timezone such as Europe/Paris", *p.Timezone)})
		}
	}
	if p.ContactPressureCap != nil && *p.ContactPressureCap < 1 {
		problems = append(problems, FieldError{"contactPressureCap", fmt.Sprintf("must be at least 1, got %d", *p.ContactPressureCap)})
	}
	if len(problems) > 0 {
		return &InputError{Problems: problems}
	}
	return nil
}
