//! The identities of private values on one party (`masks`): fresh when a protocol made the
//! value, derived from the op and its operands when it was computed locally, carried through
//! variables; and the mask plan of a private matrix product.

use super::machine::Machine;
use super::masks::{derived, Identity, MaskPlan};
use super::values::Val;
use crate::protocols::matmul::KeptMask;
use mpcc_ir::{Op, ValueDef, ValueId};
use std::sync::Arc;

impl Machine<'_> {
    /// Records the identity of value `id` just computed as `value`.
    pub(super) fn note_ident(&mut self, id: ValueId, def: &ValueDef, value: &Val, communicated: bool) {
        if !matches!(value, Val::Private(_)) {
            return;
        }
        let ident = match &def.op {
            Op::Var(var) => self.var_idents.get(var.index()).copied().unwrap_or(0),
            _ if communicated || matches!(def.op, Op::Share { .. }) => self.fresh_ident(),
            op => {
                let mut operands = Vec::new();
                let mut local = false;
                for o in op.operands() {
                    match self.values.get(o.index()) {
                        Some(Some(Val::Private(_))) => {
                            operands.push(Identity::Private(self.idents.get(o.index()).copied().unwrap_or(0)))
                        }
                        Some(Some(Val::Public(t))) => operands.push(Identity::Public(t)),
                        _ => local = true,
                    }
                }
                if local {
                    self.fresh_ident()
                } else {
                    derived(id.0, &operands)
                }
            }
        };
        if let Some(slot) = self.idents.get_mut(id.index()) {
            *slot = ident;
        }
    }

    /// A new fresh identity.
    pub(super) fn fresh_ident(&mut self) -> u64 {
        self.next_ident += 1;
        self.next_ident
    }

    /// The mask plan of `op` when it is a product of two private matrices and masks are reused,
    /// with the kept mask a `Fixed` plan needs.
    pub(super) fn mask_plan(&mut self, op: &Op) -> Option<super::masks::Planned> {
        let Op::MatMul(a, b) = op else { return None };
        let private = |v: &ValueId| matches!(self.values.get(v.index()), Some(Some(Val::Private(_))));
        if !private(a) || !private(b) {
            return None;
        }
        let (ix, iy) = (self.idents.get(a.index()).copied()?, self.idents.get(b.index()).copied()?);
        let cache = self.masks.as_mut()?;
        let plan = cache.plan(ix, iy);
        let kept = match &plan {
            MaskPlan::Fixed { id, .. } => cache.kept.get(id).cloned(),
            _ => None,
        };
        Some((plan, kept))
    }
}

impl Machine<'_> {
    /// Keeps a mask a `Keep` plan returned.
    pub(super) fn keep_mask(&mut self, kept: Option<KeptMask>) {
        if let (Some(k), Some(cache)) = (kept, self.masks.as_mut()) {
            cache.kept.insert(k.id, Arc::new(k));
        }
    }
}
