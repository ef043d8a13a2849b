"""Who is on a trip: collaborators, invitations, ownership and sharing."""

from __future__ import annotations

import struct
import uuid

from navio.iam import Principal, user_by_email, user_cards
from navio.kernel.security import TokenError, new_opaque_token, token_digest
from navio.trips import domain
from navio.trips.domain import Action, Role, Visibility
from navio.trips.errors import (
    AlreadyCollaborator,
    CollaboratorNotFound,
    InvalidInvite,
    InvalidTrip,
    InviteExpired,
    InviteUsed,
    OwnerCannotLeave,
    TripForbidden,
)
from navio.trips.events import (
    CollaboratorAdded,
    CollaboratorRemoved,
    CollaboratorRoleChanged,
    InviteSent,
    OwnershipTransferred,
    TripSharingChanged,
)
from navio.trips.models import TripInvite, TripMember
from navio.trips.schemas import (
    Collaborator,
    CollaboratorAdd,
    CollaboratorResult,
    SharingRead,
    SharingUpdate,
    TripRead,
)
from navio.trips.service.base import INVITE_LAYOUT, Access, ServiceBase, collaborator


class PeopleOperations(ServiceBase):
    # ---------------------------------------------------------------- collaborators
    async def add_collaborator(
        self, principal: Principal, trip_id: uuid.UUID, body: CollaboratorAdd, base_url: str
    ) -> CollaboratorResult:
        if (body.user_id is None) == (body.email is None):
            raise InvalidTrip("give user_id or email, not both", field="user_id")
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        trip = access.trip
        now = self.clock.now()
        user_id = body.user_id
        if user_id is not None:
            cards = await user_cards(self.repo.session, [user_id])
            if user_id not in cards:
                raise CollaboratorNotFound("no such user", field="user_id")
            if await self.repo.member(trip_id, user_id) is not None:
                raise AlreadyCollaborator()
            member = TripMember(
                trip_id=trip_id,
                user_id=user_id,
                role=body.role,
                added_at=now,
                added_by=principal.user_id,
            )
            await self.repo.add(member)
            self._touch(trip)
            self._record(
                CollaboratorAdded,
                trip,
                principal.user_id,
                subject_id=user_id,
                data={"role": body.role},
            )
            return CollaboratorResult(
                status="added",
                collaborator=collaborator(member, cards[user_id]),
            )
        assert body.email is not None
        email = body.email.strip().lower()
        existing = await user_by_email(self.repo.session, email)
        if existing is not None and await self.repo.member(trip_id, existing.id) is not None:
            raise AlreadyCollaborator()
        invite = TripInvite(
            trip_id=trip_id,
            email=email,
            role=body.role,
            invited_by=principal.user_id,
            expires_at=now + domain.INVITE_TTL,
            created_at=now,
            updated_at=now,
        )
        await self.repo.add(invite)
        token = self.signer.sign(
            INVITE_LAYOUT.pack(invite.id.bytes, int(invite.expires_at.timestamp()))
        )
        self._record(
            InviteSent,
            trip,
            principal.user_id,
            subject_id=invite.id,
            data={
                "email": email,
                "role": body.role,
                "trip_title": trip.title,
                "link": f"{base_url.rstrip('/')}/trips/invites/accept?token={token}",
                "token": token,
                "expires_at": invite.expires_at.isoformat(),
            },
        )
        return CollaboratorResult(
            status="invited", invite_id=invite.id, invite_token=token, expires_at=invite.expires_at
        )

    async def accept_invite(self, principal: Principal, token: str) -> TripRead:
        try:
            raw_id, expires = INVITE_LAYOUT.unpack(self.signer.unsign(token))
        except (TokenError, struct.error) as exc:
            raise InvalidInvite("the invitation token is not valid", field="token") from exc
        now = self.clock.now()
        if expires < now.timestamp():
            raise InviteExpired()
        invite = await self.repo.invite(uuid.UUID(bytes=raw_id))
        if invite is None:
            raise InvalidInvite("the invitation no longer exists", field="token")
        if invite.accepted_at is not None or invite.revoked_at is not None:
            raise InviteUsed()
        if invite.expires_at < now:
            raise InviteExpired()
        trip = await self.repo.trip(invite.trip_id, for_update=True)
        if trip is None:
            raise InvalidInvite("the trip no longer exists", field="token")
        invite.accepted_at = now
        invite.accepted_by = principal.user_id
        member = await self.repo.member(trip.id, principal.user_id)
        if member is None:
            # whoever holds the link is the invitee: the token went to that address
            await self.repo.add(
                TripMember(
                    trip_id=trip.id,
                    user_id=principal.user_id,
                    role=invite.role,
                    added_at=now,
                    added_by=invite.invited_by,
                )
            )
            self._touch(trip)
            self._record(
                CollaboratorAdded,
                trip,
                principal.user_id,
                subject_id=principal.user_id,
                data={"role": invite.role, "invite_id": str(invite.id)},
            )
        await self.repo.session.flush()
        role = Role((await self.repo.role_of(trip.id, principal.user_id)) or invite.role)
        return await self._read(Access(trip, role, False))

    async def change_role(
        self, principal: Principal, trip_id: uuid.UUID, user_id: uuid.UUID, role: str
    ) -> Collaborator:
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        member = await self.repo.member(trip_id, user_id)
        if member is None:
            raise CollaboratorNotFound()
        if member.role == Role.OWNER:
            raise TripForbidden("the owner's role changes only by transferring ownership")
        previous = member.role
        member.role = role
        self._touch(access.trip)
        await self.repo.session.flush()
        self._record(
            CollaboratorRoleChanged,
            access.trip,
            principal.user_id,
            subject_id=user_id,
            data={"role": role, "previous": previous},
        )
        cards = await user_cards(self.repo.session, [user_id])
        return collaborator(member, cards.get(user_id))

    async def remove_collaborator(
        self, principal: Principal, trip_id: uuid.UUID, user_id: uuid.UUID
    ) -> None:
        leaving = user_id == principal.user_id
        access = await self.access(
            principal, trip_id, Action.VIEW if leaving else Action.MANAGE, for_update=True
        )
        if leaving and access.role is None:
            raise TripForbidden("you have no role on this trip")
        member = await self.repo.member(trip_id, user_id)
        if member is None:
            raise CollaboratorNotFound()
        if member.role == Role.OWNER:
            raise OwnerCannotLeave()
        await self.repo.delete(member)
        self._touch(access.trip)
        self._record(
            CollaboratorRemoved,
            access.trip,
            principal.user_id,
            subject_id=user_id,
            data={"left": leaving, "role": member.role},
        )

    async def transfer_ownership(
        self, principal: Principal, trip_id: uuid.UUID, user_id: uuid.UUID
    ) -> TripRead:
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        if user_id == principal.user_id:
            raise InvalidTrip("you already own this trip", field="user_id")
        member = await self.repo.member(trip_id, user_id)
        if member is None:
            raise CollaboratorNotFound("the new owner must already be a collaborator")
        me = await self.repo.member(trip_id, principal.user_id)
        assert me is not None
        me.role = Role.EDITOR.value
        member.role = Role.OWNER.value
        access.trip.owner_id = user_id
        self._touch(access.trip)
        await self.repo.session.flush()
        self._record(
            OwnershipTransferred,
            access.trip,
            principal.user_id,
            subject_id=user_id,
            data={"previous_owner": str(principal.user_id)},
        )
        return await self._read(Access(access.trip, Role.EDITOR, False))

    # ---------------------------------------------------------------- sharing
    async def set_sharing(
        self, principal: Principal, trip_id: uuid.UUID, body: SharingUpdate
    ) -> SharingRead:
        access = await self.access(principal, trip_id, Action.MANAGE, for_update=True)
        trip = access.trip
        token = None
        trip.visibility = body.visibility.value
        if body.hide_costs is not None:
            trip.hide_costs = body.hide_costs
        if body.visibility == Visibility.PRIVATE:
            trip.share_token_hash = None  # revoke the link
        elif body.visibility == Visibility.LINK and (
            body.rotate_link or trip.share_token_hash is None
        ):
            token = new_opaque_token()
            trip.share_token_hash = token_digest(token)
        self._touch(trip)
        await self.repo.session.flush()
        self._record(
            TripSharingChanged,
            trip,
            principal.user_id,
            data={"visibility": trip.visibility, "hide_costs": trip.hide_costs},
        )
        return SharingRead(
            visibility=Visibility(trip.visibility), hide_costs=trip.hide_costs, link_token=token
        )
