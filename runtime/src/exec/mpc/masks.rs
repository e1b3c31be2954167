//! Matrix masks kept for reuse: when the same private matrix (the same shares: the same value,
//! or a local function of the same values, such as its transpose) is a factor of a second
//! private product, the dealer keeps its mask and every later product opens only the other
//! factor (`protocols::matmul::matmul_reuse_raw`). A data matrix used in every epoch of a
//! training loop is then masked and sent twice in all instead of once per product.
//!
//! Which shares are "the same" is decided without looking at them, so that every party decides
//! alike: each private value has an *identity*, fresh when a protocol made it (it communicated,
//! or shared a local value), else a hash of the op and its operands' identities and public
//! contents. The cost model keeps the same identities (`cost::walk`) and the same [`MaskCache`].

use crate::protocols::matmul::KeptMask;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// What a product does with its factors' masks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaskPlan {
    /// A plain triple (the factors were not seen before).
    Plain,
    /// A fresh triple whose `side` mask the dealer keeps under `id` (the factor's second use).
    Keep { side: u8, id: u64 },
    /// `side` was masked and opened before under `id`: only the other factor is opened.
    Fixed { side: u8, id: u64 },
}

/// The factors seen and the masks kept, by (identity, side).
#[derive(Default)]
pub struct MaskCache {
    seen: HashSet<(u64, u8)>,
    ids: HashMap<(u64, u8), u64>,
    /// The executor's kept masks (the cost model keeps none).
    pub kept: HashMap<u64, Arc<KeptMask>>,
    next_id: u64,
}

impl MaskCache {
    /// The plan for a product of factors with identities `ix` (left) and `iy` (right); the
    /// right factor is preferred. Records the factors as seen (and the new id of a kept mask).
    pub fn plan(&mut self, ix: u64, iy: u64) -> MaskPlan {
        for (ident, side) in [(iy, 1u8), (ix, 0u8)] {
            if let Some(&id) = self.ids.get(&(ident, side)) {
                return MaskPlan::Fixed { side, id };
            }
        }
        for (ident, side) in [(iy, 1u8), (ix, 0u8)] {
            if self.seen.contains(&(ident, side)) {
                self.next_id += 1;
                let id = self.next_id;
                self.ids.insert((ident, side), id);
                return MaskPlan::Keep { side, id };
            }
        }
        self.seen.insert((ix, 0));
        self.seen.insert((iy, 1));
        MaskPlan::Plain
    }
}

/// The identity of a value computed locally from operands with `operands` identities (`None`
/// for a public operand, whose contents `public` hashes).
pub fn derived(value: u32, operands: &[Identity<'_>]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    for o in operands {
        match o {
            Identity::Private(i) => i.hash(&mut h),
            Identity::Public(t) => {
                t.shape().hash(&mut h);
                t.iter().for_each(|v| v.to_bits().hash(&mut h));
            }
        }
    }
    // Fresh identities count up from 1; derived ones have the top bit set.
    h.finish() | (1 << 63)
}

/// A product's mask plan with the kept mask a `Fixed` plan uses.
pub type Planned = (MaskPlan, Option<Arc<KeptMask>>);

/// An operand as [`derived`] sees it.
pub enum Identity<'t> {
    Private(u64),
    Public(&'t crate::plain::Tensor),
}

/// Runs `op` (a private matrix product) under `plan`, returning the mask to keep with a `Keep`
/// plan: `None` when the op is not a product of two private matrices here (then the caller runs it as
/// usual). The product is truncated unless `defer` (`mpcc_ir::fold`).
pub(crate) fn with_masks(
    party: &mut crate::party::Party,
    op: &mpcc_ir::Op,
    get: super::ops::Get<'_, '_>,
    plan: &Planned,
    defer: bool,
) -> Option<Result<(crate::share::Shared, Option<KeptMask>), crate::error::RunError>> {
    use super::values::{mpc_err, Opd};
    use crate::protocols::matmul::{matmul_reuse_raw, Reuse};
    let mpcc_ir::Op::MatMul(a, b) = op else { return None };
    let (Ok(Opd::S(x)), Ok(Opd::S(y))) = (get(*a), get(*b)) else { return None };
    let reuse = match &plan.0 {
        MaskPlan::Plain => return None,
        MaskPlan::Keep { side, id } => Reuse::Keep { side: *side, id: *id },
        MaskPlan::Fixed { side, .. } => match &plan.1 {
            Some(mask) => Reuse::Fixed { side: *side, mask },
            None => {
                return Some(Err(crate::error::RunError::new(
                    crate::error::ErrorKind::Internal,
                    "a kept mask is missing",
                )))
            }
        },
    };
    let f = party.fixed.frac_bits;
    let run = || -> Result<(crate::share::Shared, Option<KeptMask>), crate::error::RunError> {
        let (z, kept) = match reuse {
            // A raw left factor (`mpcc_ir::fold`) against a kept right mask: its truncation is
            // opened as the product's opening (`fused_matmul`).
            Reuse::Fixed { side: 1, mask } if x.scale > f && x.shape().len() == 2 && y.shape().len() == 2 => {
                let z = crate::protocols::fused_matmul::matmul_pending_fixed(party, x, x.scale - f, y, mask);
                (z.map_err(mpc_err)?, None)
            }
            _ => {
                let x = super::ops::ready_left(party, x)?;
                matmul_reuse_raw(party, &x, y, reuse).map_err(mpc_err)?
            }
        };
        if defer {
            return Ok((z, kept));
        }
        let target = x.scale.min(f).max(y.scale);
        Ok((crate::protocols::trunc::rescale(party, z, target).map_err(mpc_err)?, kept))
    };
    Some(run())
}
