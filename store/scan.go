package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sync"

	"gorm.io/gorm/schema"
)

// scanSchemas caches the schemas scanInto reads rows by.
var scanSchemas sync.Map

// scanInto appends every row of rows to the slice dest points to, each
// column into the field gorm's Scan would fill, matched once rather than
// once a row as gorm does: measuring reads hundreds of thousands of rows.
func scanInto(rows *sql.Rows, dest any) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	list := reflect.ValueOf(dest).Elem()
	elem := list.Type().Elem()
	sch, err := schema.Parse(reflect.New(elem).Interface(), &scanSchemas, schema.NamingStrategy{})
	if err != nil {
		return err
	}
	fields := make([]*schema.Field, len(cols))
	for i, c := range cols {
		if fields[i] = sch.LookUpField(c); fields[i] == nil {
			return fmt.Errorf("no field for column %q", c)
		}
	}
	ptrs := make([]any, len(cols))
	for rows.Next() {
		list.Set(reflect.Append(list, reflect.Zero(elem)))
		row := list.Index(list.Len() - 1)
		for i, f := range fields {
			ptrs[i] = f.ReflectValueOf(context.Background(), row).Addr().Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// mustSchema is how gorm maps the type v points to, for column lists
// built once.
func mustSchema(v any) *schema.Schema {
	sch, err := schema.Parse(v, &scanSchemas, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("store: schema of %T: %v", v, err))
	}
	return sch
}
