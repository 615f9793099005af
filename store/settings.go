package store

import (
	"context"
	"fmt"

	"github.com/pulseproject/pulse/domain"
)

// settingsRow is the one row of workspace_settings.
type settingsRow struct {
	domain.Settings
}

func (settingsRow) TableName() string { return "workspace_settings" }

// Settings returns the workspace's settings.
func (s *Store) Settings(ctx context.Context) (domain.Settings, error) {
	var row settingsRow
	if err := s.db.WithContext(ctx).Take(&row).Error; err != nil {
		return domain.Settings{}, fmt.Errorf("store: settings: %w", err)
	}
	return row.Settings, nil
}

// UpdateSettings applies p, refusing it whole with a *domain.InputError
// naming every field at fault, and returns the settings as they now are.
func (s *Store) UpdateSettings(ctx context.Context, p domain.SettingsPatch) (domain.Settings, error) {
	if err := p.Validate(); err != nil {
		return domain.Settings{}, err
	}
	set := map[string]any{"updated_at": s.db.NowFunc()}
	if p.BaseCurrency != nil {
		set["base_currency"] = *p.BaseCurrency
	}
	if p.Timezone != nil {
		set["timezone"] = *p.Timezone
	}
	if p.ContactPressureCap != nil {
		set["contact_pressure_cap"] = *p.ContactPressureCap
	}
	if err := s.db.WithContext(ctx).Table("workspace_settings").Where("id").Updates(set).Error; err != nil {
		return domain.Settings{}, fmt.Errorf("store: update settings: %w", err)
	}
	return s.Settings(ctx)
}
