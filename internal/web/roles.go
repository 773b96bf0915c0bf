package web

import (
	"slices"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// What each role may see and do, checked on the server for every request:
// a page hides what a role may not do, and the handler refuses it anyway.
//
//	procurement_manager  procurement tasks (with a confirmed ETA), ETA revisions
//	inventory_clerk      inventory clerk tasks
//	warehouse_manager    marks orders fulfilled, cancels them
//	admin                all of the above
//
// Everyone signed in reads the backorders, orders and the weekly report.

// taskRoles are the roles whose tasks u works; nil for none.
func taskRoles(u store.User) []contract.Role {
	switch u.Role {
	case store.UserProcurementManager:
		return []contract.Role{contract.RoleProcurementManager}
	case store.UserInventoryClerk:
		return []contract.Role{contract.RoleInventoryClerk}
	case store.UserAdmin:
		return []contract.Role{contract.RoleProcurementManager, contract.RoleInventoryClerk}
	}
	return nil
}

// canWork: u may complete a task for role.
func canWork(u store.User, role contract.Role) bool {
	return slices.Contains(taskRoles(u), role)
}

// canReviseETA: u may move an order's ETA (procurement's job).
func canReviseETA(u store.User) bool {
	return u.Role == store.UserProcurementManager || u.Role == store.UserAdmin
}

// canCloseOrders: u may mark orders fulfilled and cancel them.
func canCloseOrders(u store.User) bool {
	return u.Role == store.UserWarehouseManager || u.Role == store.UserAdmin
}
